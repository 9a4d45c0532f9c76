"""The `propdesk` command line: offline validation with file:line reports, and `apply`
against a small fake PropDesk API (http.server on 127.0.0.1) that records what it was sent."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import cli
from chalicelib.domain import standards as rules
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import templates

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch):
    for name in ("PROPDESK_EMAIL", "PROPDESK_PASSWORD", "PROPDESK_TOKEN", "PROPDESK_API"):
        monkeypatch.delenv(name, raising=False)


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line of ``text`` containing ``needle``."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def fake_validator(fields: dict[str, str]):
    def check_document(document):
        if fields:
            raise InvalidInput("invalid", fields)
        return SimpleNamespace(categories=[c["key"] for c in document["categories"]],
                               priorities=[p["key"] for p in document["priorities"]])
    return check_document


# --------------------------------------------------------------------------- validate

def test_the_shipped_templates_are_valid(capsys):
    names = sorted(templates.available())
    assert {"prc-residential", "uk-social-housing"} <= set(names)
    args = [a for name in names for a in ("--template", name)]
    assert cli.main(["standards", "validate", *args]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(names)
    prc = next(line for line in out if "prc-residential.yaml" in line)
    assert prc.endswith(": valid (8 categories, 3 priorities)")


def test_a_template_file_validates_by_path_too(capsys):
    path = ROOT / "tenants" / "templates" / "uk-social-housing.yaml"
    assert cli.main(["standards", "validate", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: valid (8 categories, 4 priorities)\n"


def test_an_unknown_template_is_refused_with_the_names_available(capsys):
    assert cli.main(["standards", "validate", "--template", "nope"]) == 2
    assert "prc-residential" in capsys.readouterr().err


BROKEN = """\
# a firm's standards, with mistakes
name: {en: Test, zh-CN: 测试}
calendar:
  time_zone: Mars/Olympus
  hours:
    mon: ["08:30-12:00", "25:00-26:00"]
    tue:
      - "09:00-12:00"
      - "13:00-99:00"
priorities:
  - {key: normal, name: {en: Normal, zh-CN: 一般}}
categories:
  - key: repairs
    name: {en: Repairs, zh-CN: 维修}
  - key: Bad Key
    name: {en: Bad}
targets:
  "*":
    "*": {first_response: 24h, resolution: 30 working days}
  repairs:
    "*":
      first_response: soon
      resolution: 7d
bogus: 1
"""


def test_each_problem_is_reported_at_the_line_of_its_path(tmp_path, monkeypatch, capsys):
    path = tmp_path / "acme.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    fields = {
        "bogus": "is not a recognised section",                                  # top level
        "calendar.time_zone": "must be an IANA time zone",                       # nested mapping
        "calendar.hours.mon[1]": "25:00 is not a time",                          # item of a flow list
        "calendar.hours.tue[1]": "99:00 is not a time",                          # item of a block list
        "categories[1].key": "must be lower-case",                               # key inside a list item
        "categories[1].name.zh-CN": "is missing",                                # absent: its parent's line
        "targets.repairs.*.first_response": "'soon' is not a duration",          # under a "*" key
        "targets.*.*": "needs attend",                                           # "*" of "*"
        "survey": "is required",                                                 # absent section: line 1 of the doc
    }
    monkeypatch.setattr(rules, "check_document", fake_validator(fields))
    assert cli.main(["standards", "validate", str(path)]) == 1
    expected = {
        "bogus": line_of(BROKEN, "bogus:"),
        "calendar.time_zone": line_of(BROKEN, "time_zone:"),
        "calendar.hours.mon[1]": line_of(BROKEN, "mon:"),
        "calendar.hours.tue[1]": line_of(BROKEN, '"13:00-99:00"'),
        "categories[1].key": line_of(BROKEN, "key: Bad Key"),
        "categories[1].name.zh-CN": line_of(BROKEN, "name: {en: Bad}"),
        "targets.repairs.*.first_response": line_of(BROKEN, "first_response: soon"),
        "targets.*.*": line_of(BROKEN, '"*": {first_response: 24h'),
        "survey": line_of(BROKEN, "name: {en: Test"),  # the first line of the document (after the comment)
    }
    out = capsys.readouterr().out.splitlines()
    assert out == sorted(out, key=lambda line: int(line.split(":")[1]))
    assert sorted(out) == sorted(f"{path}:{expected[p]}: {p}: {reason}" for p, reason in fields.items())


def test_the_real_validator_reports_empty_categories_at_their_line(tmp_path, capsys):
    text = "name: {en: Broken, zh-CN: 坏}\npriorities: []\ncategories: []\ntargets: {}\n"
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["standards", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{line_of(text, 'categories:')}: categories: " in out
    assert f"{path}:{line_of(text, 'priorities:')}: priorities: " in out
    assert "valid (" not in out


def test_a_yaml_syntax_error_is_reported_at_its_line(tmp_path, capsys):
    text = "name: ok\ncalendar:\n  time_zone: Asia/Shanghai: oops\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["standards", "validate", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}:{line_of(text, 'oops')}: yaml: mapping values are not allowed here\n"


def test_an_impossible_date_is_reported_at_its_line(tmp_path, capsys):
    text = "calendar:\n  time_zone: Asia/Shanghai\n  holidays:\n    - 2026-10-01\n    - 2026-02-30\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["standards", "validate", str(path)]) == 1
    assert capsys.readouterr().out.startswith(f"{path}:{line_of(text, '2026-02-30')}: yaml: ")


def test_every_file_is_checked_and_any_failure_fails_the_run(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [\n", encoding="utf-8")
    good = ROOT / "tenants" / "templates" / "prc-residential.yaml"
    assert cli.main(["standards", "validate", str(bad), str(good), str(tmp_path / "missing.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:2: yaml: " in out
    assert f"{good}: valid (" in out
    assert f"{tmp_path / 'missing.yaml'}: cannot read" in out


def test_help_is_readable(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    assert "standards" in capsys.readouterr().out
    assert cli.main(["standards"]) == 2
    err = capsys.readouterr().err
    assert "validate" in err and "apply" in err


# --------------------------------------------------------------------------- apply

DOC = """\
name: {en: Acme, zh-CN: 阿克米}
calendar:
  time_zone: Asia/Shanghai
  hours: {mon: ["09:00-17:00"]}
  holidays: [2026-10-01]
priorities:
  - {key: normal, name: {en: Normal, zh-CN: 一般}}
categories:
  - {key: repairs, name: {en: Repairs, zh-CN: 维修}}
  - {key: gas, emergency: true, name: {en: Gas, zh-CN: 燃气}}
targets:
  "*":
    "*": {first_response: 24h, resolution: 7 working days}
"""

CURRENT = {
    "name": {"en": "Acme", "zh-CN": "阿克米"},
    "calendar": {"time_zone": "Asia/Shanghai", "hours": {"mon": ["09:00-17:00"]}, "holidays": ["2026-10-01"]},
    "priorities": [{"key": "normal", "name": {"en": "Normal", "zh-CN": "一般"}}],
    "categories": [{"key": "repairs", "name": {"en": "Repairs", "zh-CN": "维修"}}],
    "targets": {"*": {"*": {"first_response": "24h", "resolution": "30 working days"}}},
    "survey": {"min_n": 5},
}


class FakeApi:
    """Answers like PropDesk; ``put`` is (status, body) for the next PUT /api/standards."""

    def __init__(self) -> None:
        self.requests: list[SimpleNamespace] = []
        self.slug, self.role, self.version = "acme", "admin", 7
        self.signin: dict = {"tokens": {"IdToken": "id-token-1", "AccessToken": "a"}}
        self.put: tuple[int, dict] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.requests.append(SimpleNamespace(method=self.command, path=self.path,
                                                     headers=dict(self.headers.items()),
                                                     json=json.loads(raw) if raw else None))
                route = (self.command, self.path)
                if route == ("POST", "/auth/signin"):
                    body = json.loads(raw)
                    if (body["email"], body["password"]) != ("admin@acme.example", "s3cret-pass"):
                        return self._answer(401, {"error": {"code": "unauthorized", "message": "Wrong e-mail or password."}})
                    return self._answer(200, fake.signin)
                if self.headers.get("Authorization") != "Bearer id-token-1":
                    return self._answer(401, {"error": {"code": "unauthorized", "message": "Sign in first."}})
                if route == ("GET", "/api/tenant"):
                    return self._answer(200, {"id": "t1", "slug": fake.slug, "role": fake.role})
                if route == ("GET", "/api/standards"):
                    return self._answer(200, {"version": fake.version, "standards": CURRENT},
                                        {"ETag": f'"{fake.version}"'})
                if route == ("PUT", "/api/standards"):
                    status, body = fake.put or (200, {"version": fake.version + 1})
                    return self._answer(status, body)
                return self._answer(404, {"error": {"code": "not_found", "message": "No such route."}})

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def sent(self, method: str, path: str) -> list[SimpleNamespace]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]


@pytest.fixture
def api():
    fake = FakeApi()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def doc_file(tmp_path, monkeypatch):
    """The document to apply, and a local validator that accepts it (the real one is the lead's to evolve)."""
    monkeypatch.setattr(rules, "check_document", fake_validator({}))
    path = tmp_path / "acme.yaml"
    path.write_text(DOC, encoding="utf-8")
    return path


def apply(api: FakeApi, path: Path, *extra: str) -> int:
    return cli.main(["standards", "apply", "--tenant", "acme", str(path), "--api", api.url, *extra])


def test_apply_sends_the_document_with_if_match_on_the_version_it_read(api, doc_file, capsys):
    assert apply(api, doc_file, "--email", "admin@acme.example", "--password", "s3cret-pass") == 0
    assert [(r.method, r.path) for r in api.requests] == [
        ("POST", "/auth/signin"), ("GET", "/api/tenant"), ("GET", "/api/standards"), ("PUT", "/api/standards")]
    (put,) = api.sent("PUT", "/api/standards")
    assert put.headers["If-Match"] == '"7"'
    assert put.headers["Authorization"] == "Bearer id-token-1"
    expected = json.loads(json.dumps(yaml.safe_load(DOC), default=str))  # the holiday date travels as a string
    assert put.json == {"standards": expected}
    assert put.json["standards"]["calendar"]["holidays"] == ["2026-10-01"]
    first, *summary = capsys.readouterr().out.splitlines()
    assert first == f"applied {doc_file} to acme: version 7 → 8"
    # Only the sections that differ (the holiday read as a date equals the stored string).
    assert [line.strip() for line in summary] == ["changed: categories (+gas), targets", "removed: survey"]


def test_credentials_may_come_from_the_environment(api, doc_file, monkeypatch):
    monkeypatch.setenv("PROPDESK_TOKEN", "id-token-1")
    assert apply(api, doc_file) == 0
    assert not api.sent("POST", "/auth/signin")
    monkeypatch.delenv("PROPDESK_TOKEN")
    monkeypatch.setenv("PROPDESK_EMAIL", "admin@acme.example")
    monkeypatch.setenv("PROPDESK_PASSWORD", "s3cret-pass")
    assert apply(api, doc_file) == 0
    assert len(api.sent("POST", "/auth/signin")) == 1


def test_a_conflict_exits_3(api, doc_file, capsys):
    api.put = (409, {"error": {"code": "conflict", "message": "The standards changed since version 7."}})
    assert apply(api, doc_file, "--token", "id-token-1") == 3
    assert "someone else changed the standards" in capsys.readouterr().err


def test_fields_the_api_rejects_are_reported_at_their_lines(api, doc_file, capsys):
    api.put = (422, {"error": {"code": "invalid_input", "message": "2 problems", "fields": {
        "targets.*.*.resolution": "7 working days is too long for gas",
        "standards.categories[1].emergency": "emergency categories need an attend target",
    }}})
    assert apply(api, doc_file, "--token", "id-token-1") == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{doc_file}:{line_of(DOC, 'key: gas')}: standards.categories[1].emergency: "
        "emergency categories need an attend target",
        f"{doc_file}:{line_of(DOC, 'resolution: 7 working days')}: targets.*.*.resolution: "
        "7 working days is too long for gas",
    ]


def test_another_firms_credentials_are_refused_before_anything_is_sent(api, doc_file, capsys):
    api.slug = "other-firm"
    assert apply(api, doc_file, "--token", "id-token-1") == 2
    assert "other-firm" in capsys.readouterr().err
    assert not api.sent("PUT", "/api/standards")


def test_staff_credentials_are_refused(api, doc_file, capsys):
    api.role = "staff"
    assert apply(api, doc_file, "--token", "id-token-1") == 2
    assert "only an admin" in capsys.readouterr().err
    assert not api.sent("PUT", "/api/standards")


def test_a_user_who_must_set_a_password_is_told_so(api, doc_file, capsys):
    api.signin = {"challenge": "NEW_PASSWORD_REQUIRED", "session": "s"}
    assert apply(api, doc_file, "--email", "admin@acme.example", "--password", "s3cret-pass") == 4
    assert "must set a password first" in capsys.readouterr().err


def test_wrong_password_and_missing_password(api, doc_file, capsys, monkeypatch):
    assert apply(api, doc_file, "--email", "admin@acme.example", "--password", "nope") == 4
    assert "Wrong e-mail or password." in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", SimpleNamespace(isatty=lambda: False))
    assert apply(api, doc_file, "--email", "admin@acme.example") == 2
    assert "no password" in capsys.readouterr().err


def test_an_invalid_document_is_not_sent(api, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rules, "check_document", fake_validator({"categories": "needs at least one entry"}))
    path = tmp_path / "acme.yaml"
    path.write_text(DOC, encoding="utf-8")
    assert apply(api, path, "--token", "id-token-1") == 1
    assert capsys.readouterr().out == f"{path}:{line_of(DOC, 'categories:')}: categories: needs at least one entry\n"
    assert api.requests == []


def test_an_unreachable_api_exits_4(doc_file, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = cli.main(["standards", "apply", "--tenant", "acme", str(doc_file), "--api", f"http://127.0.0.1:{port}",
                     "--token", "t"])
    assert code == 4
    assert "cannot reach" in capsys.readouterr().err

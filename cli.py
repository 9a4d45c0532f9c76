"""`propdesk`: the command line for people who keep a firm's service standards in YAML.

    propdesk standards validate tenants/acme.yaml
    propdesk standards validate --template prc-residential
    propdesk standards apply --tenant acme tenants/acme.yaml --email admin@acme.example

An entry point beside app.py (not in the Lambda package: only people run it); the file reading
it shares with the console lives in chalicelib/services/standards_file.py. Everything beyond
argparse (yaml, json, urllib, the validator) is imported inside the functions that use it.
Only the standard library and PyYAML are needed.

Exit codes: 0 done · 1 the document is invalid (locally, or the API answered 422) ·
2 refused or bad usage (wrong tenant, not an admin, missing credentials) · 3 someone else
changed the standards since they were read (409) · 4 any other failure (network, sign-in,
unexpected answer).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Any

from chalicelib.services.standards_file import Loaded, check, load_standards, problem_lines  # noqa: F401 (Loaded: tests)

EXIT_OK, EXIT_INVALID, EXIT_REFUSED, EXIT_CONFLICT, EXIT_FAILED = 0, 1, 2, 3, 4
DEFAULT_API = "http://127.0.0.1:8000"
TIMEOUT_S = 10.0


class Failure(Exception):
    """Stops a command: the message goes to stderr, the code becomes the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- validate


def _template_path(name: str) -> str:
    from chalicelib.services import templates

    found = templates.available()
    if name not in found:
        known = ", ".join(sorted(found)) or "none found"
        raise Failure(f"no template named '{name}' (available: {known})", EXIT_REFUSED)
    path = found[name]
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def cmd_validate(args: argparse.Namespace) -> int:
    paths = [*(_template_path(n) for n in args.template or []), *args.files]
    if not paths:
        raise Failure("give at least one FILE or --template NAME", EXIT_REFUSED)
    status = EXIT_OK
    for path in paths:
        loaded = load_standards(path)
        standards, problems = check(loaded)
        if problems:
            status = EXIT_INVALID
            for line in problems:
                print(line)
        else:
            print(f"{loaded.name}: valid ({_count(len(standards.categories), 'category', 'categories')}, "
                  f"{_count(len(standards.priorities), 'priority', 'priorities')})")
    return status


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --------------------------------------------------------------------------- HTTP


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    def message(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(self.body, dict) and self.body.get("message"):  # API Gateway's own answers
            return str(self.body["message"])
        return f"HTTP {self.status}"


class Api:
    def __init__(self, base: str, timeout: float = TIMEOUT_S) -> None:
        import urllib.parse
        import urllib.request

        self.base = base.rstrip("/")
        parts = urllib.parse.urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Failure(f"--api must be an http(s) URL, not '{base}'", EXIT_REFUSED)
        handlers = []
        if (parts.hostname or "") in ("localhost", "127.0.0.1", "::1") or (parts.hostname or "").startswith("127."):
            handlers.append(urllib.request.ProxyHandler({}))  # the local stack never goes through a proxy
        self.opener = urllib.request.build_opener(*handlers)
        self.timeout = timeout
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        import json
        import urllib.error
        import urllib.request

        sent = {"Accept": "application/json", "User-Agent": "propdesk-cli"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, default=_jsonable).encode("utf-8")
            sent["Content-Type"] = "application/json"  # UTF-8, as JSON always is
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        request = urllib.request.Request(self.base + path, data=data, headers=sent, method=method)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, raw, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, raw, got = exc.code, exc.read(), exc.headers
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Failure(f"cannot reach {self.base}: {reason}") from None
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            parsed = raw.decode("utf-8", "replace")[:200]
        return Answer(status, parsed, {k.lower(): v for k, v in (got or {}).items()})


def _jsonable(value: Any) -> Any:
    """YAML gives dates and datetimes (holidays); JSON wants strings."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def _as_json(document: Any) -> Any:
    import json

    return json.loads(json.dumps(document, default=_jsonable))


# --------------------------------------------------------------------------- apply


def _credentials(args: argparse.Namespace) -> tuple[str | None, str | None, str | None]:
    token = args.token or os.environ.get("PROPDESK_TOKEN")
    if token:
        return token, None, None
    email = args.email or os.environ.get("PROPDESK_EMAIL")
    password = args.password or os.environ.get("PROPDESK_PASSWORD")
    if not email:
        raise Failure("sign in with --email (or PROPDESK_EMAIL) and a password, or give --token (PROPDESK_TOKEN)",
                      EXIT_REFUSED)
    if not password:
        if not sys.stdin.isatty():
            raise Failure("no password: give --password or PROPDESK_PASSWORD (not interactive, cannot prompt)",
                          EXIT_REFUSED)
        import getpass

        password = getpass.getpass(f"Password for {email}: ")
    return None, email, password


def _sign_in(api: Api, email: str, password: str) -> str:
    answer = api.call("POST", "/auth/signin", {"email": email, "password": password})
    body = answer.body if isinstance(answer.body, dict) else {}
    if answer.status == 200 and body.get("challenge") == "NEW_PASSWORD_REQUIRED":
        raise Failure(f"{email} must set a password first: sign in once through the console "
                      "(or POST /auth/new-password), then run this again")
    if answer.status != 200:
        raise Failure(f"sign-in failed for {email}: {answer.message()}")
    token = (body.get("tokens") or {}).get("IdToken")
    if not token:
        challenge = body.get("challenge")
        raise Failure(f"sign-in for {email} needs {challenge}" if challenge else "sign-in answered without a token")
    return token


def _expect(answer: Answer, what: str) -> dict:
    if answer.status == 200 and isinstance(answer.body, dict):
        return answer.body
    if answer.status in (401, 403):
        raise Failure(f"{what}: not allowed ({answer.message()}); is the token valid for this API?")
    raise Failure(f"{what}: {answer.message()}")


def _summary(before: Any, after: Any) -> list[str]:
    """Top-level sections that differ; for keyed lists (categories, priorities) the keys added/removed."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changed, added, removed = [], [], []
    for key in [*after, *(k for k in before if k not in after)]:
        if key not in before:
            added.append(str(key))
        elif key not in after:
            removed.append(str(key))
        elif before[key] != after[key]:
            detail = _keyed_diff(before[key], after[key])
            changed.append(f"{key} ({detail})" if detail else str(key))
    lines = []
    for label, keys in (("changed", changed), ("added", added), ("removed", removed)):
        if keys:
            lines.append(f"  {label}: {', '.join(keys)}")
    return lines or ["  no section changed"]


def _keyed_diff(before: Any, after: Any) -> str:
    def keys(entries: Any) -> list[str] | None:
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "key" in e for e in entries):
            return None
        return [str(e["key"]) for e in entries]

    old, new = keys(before), keys(after)
    if old is None or new is None:
        return ""
    parts = [f"+{k}" for k in new if k not in old] + [f"-{k}" for k in old if k not in new]
    return " ".join(parts)


def cmd_apply(args: argparse.Namespace) -> int:
    loaded = load_standards(args.file)
    _, problems = check(loaded)
    if problems:
        for line in problems:
            print(line)
        return EXIT_INVALID
    document = _as_json(loaded.document)

    token, email, password = _credentials(args)
    api = Api(args.api or os.environ.get("PROPDESK_API") or DEFAULT_API)
    api.token = token or _sign_in(api, email, password)

    tenant = _expect(api.call("GET", "/api/tenant"), "reading the firm")
    if tenant.get("slug") != args.tenant:
        raise Failure(f"refused: these credentials belong to '{tenant.get('slug')}', not '{args.tenant}'",
                      EXIT_REFUSED)
    if tenant.get("role") != "admin":
        raise Failure(f"refused: only an admin of '{args.tenant}' may change its standards "
                      f"(signed in as {tenant.get('role') or 'unknown role'})", EXIT_REFUSED)

    reading = api.call("GET", "/api/standards")
    current = _expect(reading, "reading the standards")
    version = current.get("version")
    etag = reading.headers.get("etag") or f'"{version}"'

    answer = api.call("PUT", "/api/standards", {"standards": document}, {"If-Match": etag})
    if answer.status == 200:
        body = answer.body if isinstance(answer.body, dict) else {}
        print(f"applied {loaded.name} to {args.tenant}: version {version} → {body.get('version', '?')}")
        for line in _summary(current.get("standards"), document):
            print(line)
        return EXIT_OK
    if answer.status in (409, 412):
        print(f"{loaded.name}: not applied: someone else changed the standards of {args.tenant} since version "
              f"{version} was read; review the current standards and run again", file=sys.stderr)
        return EXIT_CONFLICT
    if answer.status == 422:
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        fields = (error or {}).get("fields") if isinstance(error, dict) else None
        if fields:
            for line in problem_lines(loaded, fields):
                print(line)
        else:
            print(f"{loaded.name}:1: standards: {answer.message()}")
        return EXIT_INVALID
    raise Failure(f"{loaded.name}: not applied: {answer.message()}")


# --------------------------------------------------------------------------- arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="propdesk",
        description="PropDesk from the command line: check and publish a firm's service standards.",
        epilog="Exit codes: 0 ok, 1 invalid document, 2 refused or bad usage, 3 changed by someone else, "
               "4 other failure. See tenants/README.md for the standards format.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    standards = commands.add_parser(
        "standards", help="validate or apply a service standards YAML file",
        description="Service standards (categories, priorities, SLA targets, calendar, survey) as YAML.")
    actions = standards.add_subparsers(dest="action", metavar="ACTION")

    validate = actions.add_parser(
        "validate", help="check YAML files offline; problems print as FILE:LINE: PATH: reason",
        description="Check standards files with the same rules the API applies. Prints "
                    "'FILE:LINE: PATH: reason' per problem, or 'FILE: valid (...)'. Exit 0 when all are valid, "
                    "1 otherwise.")
    validate.add_argument("files", nargs="*", metavar="FILE", help="YAML file(s); '-' reads stdin")
    validate.add_argument("--template", action="append", metavar="NAME",
                          help="a shipped template under tenants/templates (e.g. prc-residential); repeatable")
    validate.set_defaults(run=cmd_validate)

    apply = actions.add_parser(
        "apply", help="validate a YAML file, then replace a firm's standards through the API",
        description="Validate FILE locally, sign in, check the credentials belong to an admin of --tenant, "
                    "then replace the standards with If-Match on the version read, so a concurrent "
                    "change is never overwritten. Exit 0 applied, 1 invalid, 2 refused, 3 changed by "
                    "someone else meanwhile, 4 other failure.",
        epilog="Credentials may also come from PROPDESK_EMAIL, PROPDESK_PASSWORD or PROPDESK_TOKEN "
               "(and the API from PROPDESK_API); the password is prompted for when interactive.")
    apply.add_argument("file", metavar="FILE", help="the standards YAML file")
    apply.add_argument("--tenant", required=True, metavar="SLUG", help="the firm's slug; must match the sign-in")
    apply.add_argument("--api", metavar="URL", help=f"the PropDesk API (default {DEFAULT_API}, the local stack)")
    apply.add_argument("--email", metavar="E", help="an admin's e-mail")
    apply.add_argument("--password", metavar="P", help="its password (prefer the prompt or PROPDESK_PASSWORD)")
    apply.add_argument("--token", metavar="T", help="an IdToken instead of e-mail and password")
    apply.set_defaults(run=cmd_apply)

    parser.set_defaults(_helpers={"": parser, "standards": standards})
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # names and reasons may be Chinese; never die printing them
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:  # `propdesk` or `propdesk standards` alone: show the help for that level
        helpers = args._helpers
        (helpers["standards"] if args.command == "standards" else helpers[""]).print_help(sys.stderr)
        return EXIT_REFUSED
    try:
        return run(args)
    except Failure as exc:
        print(f"propdesk: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("propdesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

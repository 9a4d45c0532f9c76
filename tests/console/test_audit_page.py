"""The audit log in the console: every admin form leaves an entry as the API's changes do (the
list comes from the console's page table, so a new admin form without a name in words fails),
and admins read the log in words in their language, filter it, and download it as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

import app as _app  # noqa: F401 — registers every page
from chalicelib.api.console.session import PAGES
from chalicelib.domain.audit import ACTION_NAMES
from tests.console.conftest import Session, dynamo_calls
from tests.console.test_access import VALID_FORMS
from tests.support import Firm, body

ADMIN_FORMS = [p.path for p in PAGES if p.admin and "POST" in p.methods]
PARAM = re.compile(r"{(\w+)}")


def test_every_admin_form_and_api_change_has_a_name_in_words():
    from chalicelib.api.http import ROUTES
    recorded = [f"POST {path}" for path in ADMIN_FORMS] + [f"{r.method} {r.path}" for r in ROUTES
                                                           if r.admin and r.method != "GET"]
    assert len(ADMIN_FORMS) >= 15
    assert [action for action in recorded if action not in ACTION_NAMES] == []


@pytest.fixture(scope="module")
def office(client):
    firm = Firm.sign_up(client)
    staff_sub, _ = firm.add_staff(name="Zhao Lei")
    ids = {"property_id": firm.property_id, "building_id": firm.building_id, "staff_id": staff_sub}
    return firm, Session(client, firm.admin_email), ids


@pytest.mark.parametrize("path", [p for p in ADMIN_FORMS if p != "/console/firm-data/delete"])
def test_every_admin_form_that_changes_something_leaves_an_entry_and_a_refused_one_none(office, path):
    firm, admin, ids = office
    url = PARAM.sub(lambda m: ids[m.group(1)], path)
    form = {k: PARAM.sub(lambda m: ids[m.group(1)], v) for k, v in VALID_FORMS.get(path, {}).items()}
    before = body(firm.call("GET", f"/api/audit?action=POST%20{path}"))["entries"]
    answer = admin.post(url, form)
    assert answer.status_code < 500, (path, answer.status_code)
    entries = body(firm.call("GET", f"/api/audit?action=POST%20{path}"))["entries"]
    if answer.status_code >= 400:  # refused: nothing changed, nothing written (the log included)
        assert entries == before, path
        return
    assert len(entries) == len(before) + 1 and entries[0]["status"] == answer.status_code, path
    assert entries[0]["actor"]["id"] == firm.admin_sub
    assert entries[0]["target"] == {name: ids[name] for name in PARAM.findall(path)}


def test_the_log_reads_in_words_in_chinese_filters_and_downloads(client, office):
    firm, admin, _ = office
    assert admin.post("/console/register/properties", {"name": "Jade Court", "address": ""}).status_code == 303
    assert firm.call("POST", "/api/properties", {"name": "Pearl Court"}).status_code == 201
    with dynamo_calls() as calls:
        page = admin.get("/console/audit")
    assert page.status_code == 200 and sum(calls.values()) <= 3, dict(calls)
    html = page.body.decode()  # the console's default: zh-CN
    table = html[html.index('id="entries"'):html.index("</table>")]
    assert table.count("添加物业项目") >= 2 and "登录" in table  # through the console, the API, and signing in
    assert not re.search(r"/api/|/console/|sign-in|POST|PUT", table)  # names, not codes
    kinds = re.findall(r'<option value="([^"]*)"', html)
    assert "Added a property" in kinds
    only = admin.get("/console/audit?kind=Added%20a%20property").body.decode()
    rows = re.findall(r"<tr><td", only[only.index('id="entries"'):])
    assert len(rows) >= 2 and "登录</td>" not in only
    download = admin.get("/console/audit.csv?kind=Added%20a%20property")
    assert download.headers["Content-Type"].startswith("text/csv")
    text = download.body.decode("utf-8") if isinstance(download.body, bytes) else download.body
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:])))
    assert lines[0] == ["时间", "操作人", "操作", "修改内容", "结果", "网络"]
    assert len(lines) - 1 == len(rows) and {line[2] for line in lines[1:]} == {"添加物业项目"}
    assert {line[4] for line in lines[1:]} == {"完成"}


def test_staff_cannot_read_it_and_another_firm_sees_only_its_own(client, office, other_firm):
    firm, _, _ = office
    from tests.support import set_password, unique
    staff_email = f"{unique('clerk')}@example.com"
    assert firm.call("POST", "/api/staff", {"email": staff_email, "name": "Qian Yu", "role": "staff"}).status_code == 201
    set_password(staff_email)
    staff = Session(client, staff_email)
    assert staff.get("/console/audit").status_code == 403
    assert staff.get("/console/audit.csv").status_code == 403
    other = Session(client, other_firm.admin_email).get("/console/audit").body.decode()
    assert "Jade Court" not in other and "Zhao Lei" not in other and firm.admin_sub not in other


def test_a_settings_change_reads_before_and_after_in_chinese(client, office):
    firm, admin, _ = office
    retention = body(firm.call("GET", "/api/tenant/retention"))
    assert firm.call("PUT", "/api/tenant/retention", {"contact_days": 30, "photo_days": retention["photo_days"]}
                     ).status_code == 200
    staff_sub, _ = firm.add_staff(name="Sun Mei")
    assert firm.call("PATCH", f"/api/staff/{staff_sub}", {"active": False}).status_code == 200
    answer = firm.call("GET", "/api/standards")
    document = body(answer)["standards"]
    category = document["categories"][0]
    document["targets"].setdefault(category["key"], {})["*"] = {
        **(document["targets"].get(category["key"], {}).get("*") or {}), "first_response": "7h"}
    assert firm.call("PUT", "/api/standards", {"standards": document},
                     **{"If-Match": answer.headers["ETag"]}).status_code == 200
    html = admin.get("/console/audit").body.decode()  # zh-CN
    table = html[html.index('id="entries"'):html.index("</table>")]
    assert f"工单关闭后删除联系方式和入户说明的天数：{retention['contact_days']} → 30" in table
    assert "账号状态：在职 → 已停用" in table
    zh_name = category["name"]["zh-CN"] if isinstance(category["name"], dict) else category["name"]
    assert re.search(rf"{re.escape(zh_name)} · 任意优先级 · 首次响应：[^<]* → 7h", table), table[:3000]
    assert not re.search(r"retention\.|staff\.|standards:|targets\.|first_response|True|False", table)
    download = admin.get("/console/audit.csv").body
    lines = list(csv.reader(io.StringIO((download.decode() if isinstance(download, bytes) else download)[1:])))
    assert any(f"工单关闭后删除联系方式和入户说明的天数：{retention['contact_days']} → 30" in line[3] for line in lines[1:])
    english = admin.get("/console/audit?lang=en").body.decode()
    assert f"Days after closing until contact details and entry notes are erased: {retention['contact_days']} → 30" \
        in english

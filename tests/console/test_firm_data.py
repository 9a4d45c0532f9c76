"""The console's page of the firm's own data: an admin starts an export and follows its
progress to a download link, asks for the firm's deletion by typing its short name (a wrong
one is refused beside the field), sees when it will happen and cancels it. In Chinese the
page shows no English word; each change is in the audit log; the page is axe-clean."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from tests.api.test_firm_data import run_jobs
from tests.console.conftest import Session, assert_no_blocking_violations, shot, sign_in
from tests.support import Firm, body

FORMAT_NAMES = {"ZIP", "JSON", "Lines", "Excel", "MB"}  # file formats and units, the same in Chinese


def main_text(html: str) -> str:
    main = html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


def test_an_admin_exports_follows_progress_and_downloads(client):
    firm = Firm.sign_up(client, locale="zh-CN")
    firm.new_ticket()
    admin = Session(client, firm.admin_email)
    assert admin.post("/console/firm-data/export", {}).status_code == 303
    page = admin.get("/console/firm-data").body.decode()
    assert "等待开始" in page and "尚未完成" in page
    run_jobs(client, datetime.now(timezone.utc) + timedelta(minutes=1))
    page = admin.get("/console/firm-data?lang=zh-CN").body.decode()
    assert "已完成" in page and "24 小时内有效" in page
    link = re.search(r'<a href="([^"]+)" download>', page).group(1).replace("&amp;", "&")
    assert firm.tenant_id in link and "X-Amz-Expires=86400" in link
    words = [w for w in re.findall(r"[A-Za-z_]{2,}", main_text(page).replace(firm.slug, "")) if w not in FORMAT_NAMES]
    assert words == [], words
    actions = [e["action"] for e in body(firm.call("GET", "/api/audit"))["entries"]]
    assert "POST /console/firm-data/export" in actions


def test_a_deletion_is_confirmed_by_the_short_name_and_can_be_cancelled(client):
    firm = Firm.sign_up(client, locale="en")
    admin = Session(client, firm.admin_email)
    refused = admin.post("/console/firm-data/delete", {"slug": "not-" + firm.slug})
    assert refused.status_code == 422
    assert 'id="slug-error"' in refused.body.decode() and "请按所示内容准确输入企业简称" in refused.body.decode()
    assert body(firm.call("GET", "/api/firm/deletion"))["deletion"] is None
    assert admin.post("/console/firm-data/delete", {"slug": firm.slug}).status_code == 303
    page = admin.get("/console/firm-data").body.decode()
    due = body(firm.call("GET", "/api/firm/deletion"))["deletion"]["due_at"]
    assert 'id="deletion-pending"' in page and "撤销删除" in page
    assert datetime.fromisoformat(due) - datetime.now(timezone.utc) > timedelta(days=13, hours=23)
    assert admin.post("/console/firm-data/cancel", {}).status_code == 303
    assert body(firm.call("GET", "/api/firm/deletion"))["deletion"] is None
    actions = [e["action"] for e in body(firm.call("GET", "/api/audit"))["entries"]]
    assert {"POST /console/firm-data/delete", "POST /console/firm-data/cancel"} <= set(actions)


def test_staff_cannot_open_the_page(client):
    firm = Firm.sign_up(client)
    _, _ = firm.add_staff()
    staff_email = next(p["email"] for p in body(firm.call("GET", "/api/staff"))["staff"] if p["role"] == "staff")
    assert Session(client, staff_email).get("/console/firm-data").status_code == 403


def test_the_page_has_no_serious_violations(axe, desk, base_url, client):
    firm = Firm.sign_up(client, locale="en")
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/firm-data")
    page.wait_for_url("**/console/firm-data")
    page.click("#export button.primary, form[action='/console/firm-data/export'] button")
    page.wait_for_url("**/console/firm-data?done=export")
    page.fill("#slug", "wrong")
    page.click("button.danger")
    assert page.locator("#slug-error").count() == 1
    shot(page, "console-firm-data")
    assert_no_blocking_violations(axe, page, "the firm's data page")

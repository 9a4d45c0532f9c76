"""The units import from a file on the property page: a CSV or Excel file chosen with the
form's file input (a plain multipart POST, no script), in Chromium at a phone's and a
desktop's width, and through the chalice test client for the encodings and refusals."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date

import pytest

from tests.console.conftest import Session, assert_no_blocking_violations, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import body

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(*rows) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(admin: Session, property_id: str, filename: str, data: bytes, *, lang: str = "en", csv: str = ""):
    """The property page's import form sent as the browser sends it: multipart, with the file."""
    boundary = "----propdesk" + uuid.uuid4().hex
    parts = []
    for name, value in (("csrf", admin.csrf_token()), ("csv", csv)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    headers = admin.headers(f"multipart/form-data; boundary={boundary}", **{"Accept-Language": lang})
    return admin.client.http.post(f"/console/register/properties/{property_id}/import", headers=headers,
                                  body=b"".join(parts))


def codes(firm, name: str) -> list[str]:
    buildings = body(firm.call("GET", f"/api/properties/{firm.property_id}"))["buildings"]
    found = next((b for b in buildings if b["name"] == name), None)
    if found is None:
        return []
    units = body(firm.call("GET", f"/api/properties/{firm.property_id}/buildings/{found['id']}/units"))["units"]
    return sorted(u["code"] for u in units)


def test_the_form_takes_a_file_without_script(client, firm):
    admin = Session(client, firm.admin_email)
    html = admin.get(f"/console/register/properties/{firm.property_id}").body.decode()
    form = re.search(r'<form method="post" action="[^"]*/import"[^>]*>', html).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<input type="file" id="file" name="file" accept=".csv,.xlsx"', html)
    assert '<label for="file">' in html


@pytest.mark.parametrize("filename, data", [
    ("楼栋表.csv", "楼栋,单元,房号\n8号楼,1,801\n8号楼,1,802\n".encode("gb18030")),
    ("units.csv", "\ufeff楼栋,单元,房号\n8号楼,1,801\n8号楼,1,802\n".encode("utf-8")),
    ("units.xlsx", workbook(["楼栋", "单元", "房号"], ["8号楼", 1, 801], ["8号楼", 1, 802]))],
    ids=["gb18030 csv", "utf-8 csv with BOM", "xlsx"])
def test_a_chosen_file_imports_whatever_excel_saved(client, firm, filename, data):
    admin = Session(client, firm.admin_email)
    answer = upload(admin, firm.property_id, filename, data)
    assert answer.status_code == 303, answer.body.decode()[:800]
    assert answer.headers["Location"].endswith("?done=imported&n=2")
    assert codes(firm, "8号楼") == ["1-801", "1-802"]


REFUSALS = [  # (file name, bytes, status, the zh-CN words the page must show)
    ("units.xlsx", b"building,unit\nBlock 9,901\n", 422, "不是 Excel 工作簿（.xlsx）"),
    ("units.xlsx", workbook(), 422, "第一个工作表是空的"),
    ("units.xlsx", workbook(["楼栋", "房号"], ["9号楼", "=900+1"]), 422, "是公式"),
    ("units.xlsx", workbook(["楼栋", "房号"], ["9号楼", "901"], ["9号楼", date(2026, 9, 2)]), 422, "是日期"),
    ("units.xlsx", workbook(["楼栋", "房号"], *(["9号楼", str(n)] for n in range(1, 5002))), 422, "每次最多导入 5000 行"),
    ("units.xlsx", workbook(["楼栋", "房号"]) + bytes(1024 * 1024), 413, "文件超过 1 MB"),
    ("units.xls", b"\xd0\xcf\x11\xe0" + bytes(100), 422, "请选择 .csv 或 .xlsx 文件"),
]


@pytest.mark.parametrize("filename, data, status, words", REFUSALS,
                         ids=["csv named xlsx", "empty sheet", "formula", "date", "too many rows", "over 1 MB", "xls"])
def test_a_file_that_cannot_be_taken_is_refused_in_the_callers_language_and_nothing_is_written(
        client, firm, filename, data, status, words):
    admin = Session(client, firm.admin_email)
    answer = upload(admin, firm.property_id, filename, data, lang="zh-CN")
    html = answer.body.decode()
    assert answer.status_code == status, html[:800]
    assert words in html
    assert 'id="file-error"' in html and 'aria-invalid="true"' in html
    main = re.search(r"<main.*</main>", html, re.S).group(0)
    text = re.sub(r"<[^>]+>", " ", main)
    # (the column names a header may also use, building, unit, floor, are quoted as written)
    english = {w for w in re.findall(r"[A-Za-z]{3,}", text)} - {"CSV", "Excel", "xlsx", "csv", "UTF", "GB", "Garden",
                                                                  "Court", "Block", "building", "unit", "floor"}
    assert not english, english
    assert codes(firm, "9号楼") == []


@pytest.mark.parametrize("width, lang", [(375, "zh-CN"), (1280, "en")])
def test_an_admin_uploads_a_workbook_at_phone_and_desktop_width(browser, base_url, firm, axe, width, lang):
    words = {"zh-CN": {"date": "是日期", "done": "已导入 2 户。", "label": "文件：CSV 或 Excel（.xlsx）"},
             "en": {"date": "is a date", "done": "2 units are imported.", "label": "A file: CSV or Excel (.xlsx)"}}[lang]
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        path = f"/console/register/properties/{firm.property_id}"
        sign_in(page, base_url, firm.admin_email, next_path=path)
        page.wait_for_url(re.compile(rf".*{re.escape(path)}$"), timeout=WAIT_MS)
        assert words["label"] in page.locator('label[for="file"]').inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_no_blocking_violations(axe, page, f"the property page's import at {width} px ({lang})")

        # A workbook with a unit number Excel turned into a date: refused at its row, nothing written
        bad = workbook(["楼栋", "房号", "楼层"], ["10号楼", "1001", 10], ["10号楼", date(2026, 10, 2), 10])
        page.set_input_files("#file", {"name": "units.xlsx", "mimeType": XLSX, "buffer": bad})
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("form[action$='/import'] button")
        assert posted.value.status == 422
        rows = page.locator("#csv-rows tbody tr")
        assert rows.count() == 1 and words["date"] in rows.nth(0).inner_text()
        assert codes(firm, "10号楼") == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_no_blocking_violations(axe, page, f"the import's row errors at {width} px ({lang})")
        shot(page, f"console-register-upload-error-{width}-{lang}")

        # Fixed and chosen again: both units go in
        good = workbook(["楼栋", "房号", "楼层"], ["10号楼", "1001", 10], ["10号楼", "1002", 10])
        page.set_input_files("#file", {"name": "units.xlsx", "mimeType": XLSX, "buffer": good})
        page.click("form[action$='/import'] button")
        assert page.locator("p.notice").inner_text() == words["done"]
        assert codes(firm, "10号楼") == ["1001", "1002"]
        shot(page, f"console-register-upload-done-{width}-{lang}")
    finally:
        context.close()

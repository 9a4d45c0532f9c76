"""The units import through the API with a file: CSV as Excel in Chinese saves it (UTF-8 with
a BOM, or GB18030) and Excel workbooks (.xlsx). A file that cannot be taken is a 4xx naming
the field and the reason, and nothing of it is written."""

from __future__ import annotations

import io
from datetime import date

import pytest

from tests.support import body

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHINESE = "楼栋,单元,房号,楼层\r\n5号楼,1,0101,1\r\n5号楼,1,0102,1\r\n6号楼,2,0201,2\r\n"


def workbook(*rows) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(firm, data: bytes, content_type: str):
    return firm.call("POST", f"/api/properties/{firm.property_id}/units/import", data, **{"Content-Type": content_type})


def unit_codes(firm) -> dict[str, list[str]]:
    """{building name: its unit codes} of the firm's property."""
    detail = body(firm.call("GET", f"/api/properties/{firm.property_id}"))
    found = {}
    for building in detail["buildings"]:
        units = body(firm.call("GET", f"/api/properties/{firm.property_id}/buildings/{building['id']}/units"))
        found[building["name"]] = sorted(u["code"] for u in units["units"])
    return found


@pytest.mark.parametrize("encoded", [b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), CHINESE.encode("gb18030")],
                         ids=["utf-8 with BOM", "gb18030"])
def test_a_chinese_excel_csv_imports_in_either_encoding(firm, encoded):
    answer = send(firm, encoded, "text/csv")
    assert answer.status_code == 201, answer.body
    assert body(answer) == {"imported_units": 3, "new_buildings": ["5号楼", "6号楼"]}
    codes = unit_codes(firm)
    assert codes["5号楼"] == ["1-0101", "1-0102"] and codes["6号楼"] == ["2-0201"]


def test_an_excel_workbook_imports_its_first_sheet(firm):
    data = workbook(["楼栋", "房号", "楼层"], ["7号楼", 701, 7], ["7号楼", "702", 7.0])
    answer = send(firm, data, XLSX)
    assert answer.status_code == 201, answer.body
    assert body(answer) == {"imported_units": 2, "new_buildings": ["7号楼"]}
    assert unit_codes(firm)["7号楼"] == ["701", "702"]


REFUSED = {
    "a csv file named .xlsx": (b"building,unit\nBlock 9,901\n", 422,
                               {"file": "is not an Excel workbook (.xlsx): save it from Excel as .xlsx or as CSV (UTF-8)"}),
    "an empty sheet": (workbook(), 422, {"file": "the first sheet is empty: put the header row (building, unit, floor) "
                                                 "in its first row"}),
    "a formula cell": (workbook(["building", "unit", "floor"], ["Block 9", "901", "=1+8"]), 422,
                       {"rows[1].floor": "is a formula: copy the column and paste it back as values only"}),
    "a date cell": (workbook(["building", "unit"], ["Block 9", "901"], ["Block 9", date(2026, 9, 2)]), 422,
                    {"rows[2].unit": "is a date (Excel may have turned a unit number into one): format the column "
                                     "as text and type it again"}),
    "too many rows": (workbook(["building", "unit"], *(["Block 9", str(n)] for n in range(1, 5002))), 422,
                      {"file": "at most 5000 rows per import"}),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_workbook_that_cannot_be_taken_is_refused_naming_why_and_nothing_is_written(firm, case):
    data, status, fields = REFUSED[case]
    before = unit_codes(firm)
    answer = send(firm, data, XLSX)
    assert answer.status_code == status, answer.body
    error = body(answer)["error"]
    assert error["fields"] == fields and error["message"]
    assert unit_codes(firm) == before  # the good rows beside the bad one are not written either


def test_a_file_over_the_size_cap_is_413_and_bytes_in_no_known_encoding_are_422(firm):
    big = workbook(["building", "unit"]) + bytes(1024 * 1024)
    assert send(firm, big, XLSX).status_code == 413
    garbled = send(firm, b"building,unit\n\x80\xff\xfe,1\n", "text/csv")
    assert garbled.status_code == 422
    assert body(garbled)["error"]["fields"] == {"file": "is not text in UTF-8 or GB18030: save it as CSV (UTF-8)"}

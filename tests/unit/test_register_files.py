"""Reading an uploaded units file (domain/register_files.py): CSV in UTF-8 with or without a
BOM and in GB18030, and Excel workbooks built here with openpyxl's writer."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest

from chalicelib.domain import register_files as files
from chalicelib.domain.errors import InvalidInput, PayloadTooLarge

CHINESE = "楼栋,单元,房号,楼层\n3号楼,2,1203,12\n3号楼,2,1204,12\n"
EXPECTED = [{"building": "3号楼", "code": "2-1203", "floor": 12}, {"building": "3号楼", "code": "2-1204", "floor": 12}]


def workbook(*rows, sheets: int = 1) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for n in range(1, sheets):
        book.create_sheet(f"other{n}").append(["building", "unit"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refusal(data: bytes, kind: str) -> dict:
    with pytest.raises((InvalidInput, PayloadTooLarge)) as caught:
        files.read_units(data, kind)
    return caught.value.fields


@pytest.mark.parametrize("encoded", [CHINESE.encode("utf-8"), b"\xef\xbb\xbf" + CHINESE.encode("utf-8"),
                                     CHINESE.encode("gb18030")], ids=["utf-8", "utf-8 with BOM", "gb18030"])
def test_a_chinese_csv_reads_the_same_in_each_encoding_excel_saves(encoded):
    assert files.read_units(encoded, "csv") == EXPECTED


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused():
    assert refusal(b"building,unit\n\x80\xff\xfe,1\n", "csv") == {"file": files.NOT_TEXT}


def test_a_workbooks_first_sheet_is_read_numbers_as_typed():
    data = workbook(["楼栋", "单元", "房号", "楼层"], ["3号楼", 2, 1203, 12], ["3号楼", "2", "1204", 12.0], [], [None])
    assert files.read_units(data, "xlsx") == EXPECTED


def test_only_the_first_sheet_counts():
    data = workbook(["building", "unit"], ["Block A", "101"], sheets=2)
    assert files.read_units(data, "xlsx") == [{"building": "Block A", "code": "101", "floor": None}]


def test_a_formula_cell_is_refused_at_its_row_and_column():
    data = workbook(["building", "unit", "floor"], ["Block A", "101", 1], ["Block A", "102", "=C2+0"])
    assert refusal(data, "xlsx") == {"rows[2].floor": files.FORMULA}


@pytest.mark.parametrize("value", [date(2026, 3, 12), datetime(2026, 3, 12, 0, 0)])
def test_a_date_cell_is_refused_a_unit_number_excel_turned_into_a_date(value):
    data = workbook(["楼栋", "房号"], ["3号楼", "1203"], ["3号楼", value])
    assert refusal(data, "xlsx") == {"rows[2].unit": files.A_DATE}


def test_an_empty_sheet_is_refused():
    assert refusal(workbook(), "xlsx") == {"file": files.EMPTY_SHEET}
    assert refusal(workbook([None, None], [""]), "xlsx") == {"file": files.EMPTY_SHEET}


@pytest.mark.parametrize("data", [b"building,unit\nA,101\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
                                  b"PK\x03\x04 not really a zip", b""],
                         ids=["csv named .xlsx", "old .xls", "broken zip", "empty"])
def test_a_file_that_is_no_workbook_is_refused(data):
    assert refusal(data, "xlsx") == {"file": files.NOT_A_WORKBOOK}


def test_a_zip_that_is_no_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert refusal(out.getvalue(), "xlsx") == {"file": files.NOT_A_WORKBOOK}


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", " " * (files.MAX_UNPACKED + 1))
    assert len(out.getvalue()) < files.MAX_BYTES
    assert refusal(out.getvalue(), "xlsx") == {"file": files.UNPACKS_TOO_LARGE}


def test_a_file_over_the_size_cap_is_refused():
    with pytest.raises(PayloadTooLarge) as caught:
        files.read_units(b"building,unit\n" + b"A,1\n" * (files.MAX_BYTES // 4 + 1), "csv")
    assert caught.value.fields == {"file": files.TOO_LARGE}


def test_more_rows_than_an_import_takes_are_refused():
    from chalicelib.domain.registry import CSV_MAX_ROWS
    data = workbook(["building", "unit"], *([f"B{n // 100}", str(n)] for n in range(CSV_MAX_ROWS + 1)))
    assert refusal(data, "xlsx") == {"file": f"at most {CSV_MAX_ROWS} rows per import"}


@pytest.mark.parametrize("name, content_type, kind", [
    ("units.csv", "", "csv"), ("UNITS.XLSX", "application/octet-stream", "xlsx"), ("units.xls", "", None),
    ("", files.XLSX_TYPE, "xlsx"), ("", "text/csv; charset=utf-8", "csv"), ("photo.png", "text/csv", None)])
def test_a_file_is_known_by_its_name_else_its_type(name, content_type, kind):
    assert files.kind_of(name, content_type) == kind

"""An uploaded units file read into the register's rows: the rules, no AWS.

The units import (``domain/registry.py``: columns building, unit, floor, entrance; Chinese
headers 楼栋, 单元, 房号, 楼层) takes text pasted in the console, or a file:

==============  ================================================================================
kind            how it is read
==============  ================================================================================
CSV             UTF-8, with or without Excel's byte order mark; else GB18030 (what Excel in
                Chinese saves as "CSV": GBK is a part of it); neither → refused
Excel (.xlsx)   the first sheet's cell values (openpyxl, read-only, imported only then); numbers
                typed as 1203 read "1203"; a formula or a date is refused at its cell (a unit
                number Excel turned into a date, e.g. 3-12 → 12 March, must not be imported
                as one); a file that is no workbook (an old .xls, a renamed file) is refused
==============  ================================================================================

Limits, each a refusal under ``file`` before anything is written: ``MAX_BYTES`` per file,
``MAX_UNPACKED`` for a workbook once unzipped (a small file may unpack to gigabytes), the
register's own ``CSV_MAX_ROWS`` rows and ``MAX_COLUMNS`` columns.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator

from .errors import InvalidInput, PayloadTooLarge
from .registry import CSV_MAX_ROWS, column_of, parse_units_csv, parse_units_table

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 1024 * 1024  # as a pasted import
MAX_UNPACKED = 16 * 1024 * 1024
MAX_COLUMNS = 26  # A to Z: the import has four columns
COLUMN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

TOO_LARGE = "must be at most 1 MB; split the file"
NOT_TEXT = "is not text in UTF-8 or GB18030: save it as CSV (UTF-8)"
NOT_A_WORKBOOK = "is not an Excel workbook (.xlsx): save it from Excel as .xlsx or as CSV (UTF-8)"
UNPACKS_TOO_LARGE = "unpacks to more than 16 MB: keep only the units in the first sheet"
EMPTY_SHEET = "the first sheet is empty: put the header row (building, unit, floor) in its first row"
FORMULA = "is a formula: copy the column and paste it back as values only"
A_DATE = "is a date (Excel may have turned a unit number into one): format the column as text and type it again"
NOT_CSV_OR_XLSX = "must be a .csv or .xlsx file"


def kind_of(filename: str, content_type: str = "") -> str | None:
    """'csv', 'xlsx' or None, by the file's name (what a person chose), else its type."""
    name = (filename or "").strip().lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    if name:
        return None
    kind = (content_type or "").split(";")[0].strip().lower()
    return {CSV_TYPE: "csv", XLSX_TYPE: "xlsx"}.get(kind)


def read_units(data: bytes, kind: str) -> list[dict]:
    """The rows of an uploaded units file of ``kind`` ('csv' or 'xlsx'): every row checked,
    as a pasted import (``registry.parse_units_csv``)."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge("The file is too large.", {"file": TOO_LARGE})
    if kind == "xlsx":
        return parse_units_table(xlsx_table(data))
    if kind == "csv":
        return parse_units_csv(csv_text(data))
    raise InvalidInput("Send a CSV or an Excel file.", {"file": NOT_CSV_OR_XLSX})


def csv_text(data: bytes) -> str:
    """A CSV file's text: UTF-8 (a BOM is dropped by the parser), else GB18030."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not text we can read.", {"file": NOT_TEXT}) from None


# --- Excel ----------------------------------------------------------------------------------------

def _workbook(data: bytes):
    """The workbook read-only, after checking it is a ZIP that unpacks to a sane size."""
    if not data.startswith(b"PK\x03\x04"):
        raise InvalidInput("The file is not an Excel workbook.", {"file": NOT_A_WORKBOOK})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if "xl/workbook.xml" not in archive.namelist():
                raise InvalidInput("The file is not an Excel workbook.", {"file": NOT_A_WORKBOOK})
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise InvalidInput("The file is not an Excel workbook.", {"file": NOT_A_WORKBOOK}) from None
    if unpacked > MAX_UNPACKED:
        raise PayloadTooLarge("The workbook is too large.", {"file": UNPACKS_TOO_LARGE})
    from openpyxl import load_workbook  # only when a workbook arrives (it is not small to import)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds for a broken workbook (KeyError, XML errors...)
        raise InvalidInput("The file is not an Excel workbook.", {"file": NOT_A_WORKBOOK}) from None


def xlsx_table(data: bytes) -> list[list[str]]:
    """The first sheet as rows of text, trailing blank rows and cells left out. A formula or
    date cell is refused where it is (``rows[N].column``, as the CSV's rows are named)."""
    book = _workbook(data)
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise InvalidInput("The workbook has no sheet.", {"file": EMPTY_SHEET})
        table: list[list[str]] = []
        problems: dict[str, str] = {}
        header: list[str] = []
        try:
            for r, cells in enumerate(_rows(sheet)):
                if r > CSV_MAX_ROWS:  # the header and CSV_MAX_ROWS rows, at most
                    raise InvalidInput("The file is too long.", {"file": f"at most {CSV_MAX_ROWS} rows per import"})
                row = []
                for c, cell in enumerate(cells):
                    text, problem = _cell_text(cell)
                    if problem:
                        column = header[c] if r and c < len(header) and header[c] else COLUMN_LETTERS[c]
                        problems[f"rows[{r}].{column}" if r else f"header.{COLUMN_LETTERS[c]}"] = problem
                    row.append(text)
                if r == 0:
                    header = [column_of(t) for t in row]
                table.append(row)
        except InvalidInput:
            raise
        except Exception:  # a sheet openpyxl cannot read to the end
            raise InvalidInput("The file is not an Excel workbook.", {"file": NOT_A_WORKBOOK}) from None
    finally:
        book.close()
    while table and not any(cell.strip() for cell in table[-1]):
        table.pop()
    if not table:
        raise InvalidInput("The sheet is empty.", {"file": EMPTY_SHEET})
    if problems:
        raise InvalidInput(f"{len({k.split('.')[0] for k in problems})} row(s) need fixing; nothing was imported.",
                           problems)
    return table


def _rows(sheet: Any) -> Iterator[list[Any]]:
    for cells in sheet.iter_rows(max_col=MAX_COLUMNS):
        row = list(cells)
        while row and getattr(row[-1], "value", None) in (None, ""):
            row.pop()
        yield row


def _cell_text(cell: Any) -> tuple[str, str | None]:
    """(the cell as text, why it cannot be taken or None)."""
    value = getattr(cell, "value", None)
    if value is None:
        return "", None
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
        return "", FORMULA
    if isinstance(value, (datetime, date, time, timedelta)) or getattr(cell, "is_date", False):
        return "", A_DATE
    if isinstance(value, bool):
        return str(value).upper(), None
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), None
    return str(value), None

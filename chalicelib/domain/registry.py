"""The property register: properties → buildings → units, and the units CSV import."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from .errors import InvalidInput
from .fields import Integer, Problem, Shape, Text, clean_text
from .tickets import UNIT_PATTERN

PROPERTY = Shape(fields={
    "name": Text(max_len=120),
    "address": Text(required=False, max_len=300),
})

BUILDING = Shape(fields={
    "name": Text(max_len=60, description="as residents call it, e.g. 'Block 3' or '3号楼'"),
})

UNIT = Shape(fields={
    "code": Text(max_len=32, pattern=UNIT_PATTERN, pattern_reason="must be a unit number like 1203 or B-2/301"),
    "floor": Integer(required=False, minimum=-10, maximum=300),
})

CSV_MAX_ROWS = 5000
CSV_COLUMNS = ("building", "unit", "floor", "entrance")
# Header names as a Chinese firm's spreadsheet has them, by column.
# 单元 is an entrance (stairwell) of a building: "2" with 房号 "1203" is unit "2-1203".
HEADER_NAMES = {
    "楼栋": "building", "楼号": "building", "楼宇": "building", "栋": "building", "楼": "building",
    "房号": "unit", "房间号": "unit", "房间": "unit", "室": "unit", "户号": "unit",
    "楼层": "floor", "层": "floor",
    "单元": "entrance", "单元号": "entrance",
}


def column_of(cell: str) -> str:
    """A header cell's column: 'building', 'unit', ... (Chinese names mapped, case ignored)."""
    name = cell.strip().strip('"').strip().lower()
    return HEADER_NAMES.get(name, name)


def unit_key(code: str) -> str:
    """Units are matched case-insensitively and without inner spaces: 'b-2 / 301' == 'B-2/301'."""
    return code.replace(" ", "").upper()


def _delimiter(text: str) -> str:
    """Commas, or what the header row is split by: tabs when the rows were copied from a
    spreadsheet and pasted, semicolons from a spreadsheet saved as CSV in a comma-decimal locale."""
    header = text.split("\n", 1)[0]
    for delimiter in (",", "\t", ";"):
        if {"building", "unit"} <= {column_of(cell) for cell in header.split(delimiter)}:
            return delimiter
    return ","


def parse_units_csv(text: str) -> list[dict]:
    """Rows of ``building,unit[,floor][,entrance]`` → [{building, code, floor}]; the header may
    name them in Chinese (楼栋, 房号, 楼层, 单元: see HEADER_NAMES). All rows are checked
    before anything is written; every bad row is reported as ``rows[N].column`` (N counts
    data rows from 1, as a spreadsheet shows them below the header). Tab- or
    semicolon-separated rows are read too (see ``_delimiter``)."""
    if text.startswith("\ufeff"):
        text = text[1:]  # Excel's UTF-8 BOM
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    try:
        return parse_units_table(reader)
    except csv.Error as exc:
        raise InvalidInput("The file is not valid CSV.", {"file": str(exc)})


def parse_units_table(table: Iterable[list[str]]) -> list[dict]:
    """The same rows as cells already split (a CSV's, or an Excel sheet's: domain/register_files.py)."""
    rows_in = iter(table)
    try:
        header = [column_of(h) for h in next(rows_in)]
    except StopIteration:
        raise InvalidInput("The file is empty.", {"file": "needs a header row: building,unit,floor"})
    missing = [c for c in ("building", "unit") if c not in header]
    if missing:
        raise InvalidInput("The header row is missing columns.",
                           {"file": "the header must name the columns building,unit (floor is optional); missing: "
                                    + ", ".join(missing)})
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput("The header row has unknown columns.", {"file": "unknown columns: " + ", ".join(unknown)})
    problems: dict[str, str] = {}
    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(rows_in, start=1):
        if not any(cell.strip() for cell in raw):
            continue
        if n > CSV_MAX_ROWS:
            raise InvalidInput("The file is too long.", {"file": f"at most {CSV_MAX_ROWS} rows per import"})
        record = dict(zip(header, raw))
        building = clean_text(record.get("building") or "").strip()  # as a name typed in a form
        if not building:
            problems[f"rows[{n}].building"] = "is required"
        elif len(building) > 60:
            problems[f"rows[{n}].building"] = "must be at most 60 characters"
        unit_problems: dict[str, str] = {}
        code = (record.get("unit") or "").strip()
        entrance = (record.get("entrance") or "").strip().removesuffix("单元").strip()
        if entrance and code:
            code = f"{entrance}-{code}"
        unit = UNIT.clean({"code": code, "floor": (record.get("floor") or "").strip() or None}, "", unit_problems)
        for field, reason in unit_problems.items():
            problems[f"rows[{n}].{'unit' if field == 'code' else field}"] = reason
        if building and not unit_problems:
            key = (building.lower(), unit_key(unit["code"]))
            if key in seen:
                problems[f"rows[{n}].unit"] = f"repeats row {seen[key]}"
            else:
                seen[key] = n
                rows.append({"building": building, "code": unit["code"], "floor": unit["floor"]})
    if problems:
        raise InvalidInput(f"{len({k.split('.')[0] for k in problems})} row(s) need fixing; nothing was imported.",
                           problems)
    if not rows:
        raise InvalidInput("The file has no units.", {"file": "add at least one row below the header"})
    return rows


__all__ = ["PROPERTY", "BUILDING", "UNIT", "parse_units_csv", "parse_units_table", "column_of", "unit_key", "Problem"]

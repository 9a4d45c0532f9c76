"""The units CSV import (domain/registry.py): which files are read, and the reason given, file
or row by row, for each one that is not. Expected values are written out by hand."""

from __future__ import annotations

import pytest

from chalicelib.domain import registry
from chalicelib.domain.errors import InvalidInput


def refused(text: str) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as problem:
        registry.parse_units_csv(text)
    return problem.value.message, problem.value.fields


def test_units_match_without_case_or_inner_spaces():
    assert registry.unit_key("b-2 / 301") == "B-2/301"
    assert registry.unit_key("12a") == "12A"


def test_a_file_without_a_header_row_is_refused_as_empty():
    assert refused("") == ("The file is empty.", {"file": "needs a header row: building,unit,floor"})


def test_a_header_without_building_or_unit_names_what_is_missing():
    assert refused("block,flat\nA,1\n") == ("The header row is missing columns.", {
        "file": "the header must name the columns building,unit (floor is optional); missing: building, unit"})
    assert refused("building,flat\nA,1\n")[1] == {
        "file": "the header must name the columns building,unit (floor is optional); missing: unit"}


def test_a_header_with_an_unknown_column_names_it():
    assert refused("building,unit,notes,owner\nA,1,x,y\n") == ("The header row has unknown columns.", {
        "file": "unknown columns: notes, owner"})
    # a column is read without quotes and spaces around it, and named in lower case, whole
    assert refused('building,unit," XREF "\nA,1,x\n') == ("The header row has unknown columns.", {
        "file": "unknown columns: xref"})


def test_a_header_only_file_has_no_units():
    assert refused("building,unit\n\n , \n") == ("The file has no units.", {"file": "add at least one row below the header"})


def test_a_cell_too_large_for_csv_is_refused_as_not_valid_csv():
    message, fields = refused("building,unit\nA," + "1" * 200_000 + "\n")
    assert message == "The file is not valid CSV." and "field larger than field limit" in fields["file"]
    message, fields = refused("building," + "u" * 200_000 + "\n")
    assert message == "The file is not valid CSV." and "field larger than field limit" in fields["file"]


def test_rows_are_read_with_floor_optional_and_blank_rows_skipped():
    assert registry.parse_units_csv("Building , UNIT , Floor\n3号楼, 1203 , 12 \n3号楼,1204,\n,,\n3号楼,B1, -10\n") == [
        {"building": "3号楼", "code": "1203", "floor": 12}, {"building": "3号楼", "code": "1204", "floor": None},
        {"building": "3号楼", "code": "B1", "floor": -10}]


def test_a_floor_between_minus_10_and_300_is_taken_and_others_refused():
    assert [r["floor"] for r in registry.parse_units_csv("building,unit,floor\nA,1,-10\nA,2,300\n")] == [-10, 300]
    message, fields = refused("building,unit,floor\nA,1,-11\nA,2,301\nA,3,2.5\n")
    assert message == "3 row(s) need fixing; nothing was imported."
    assert fields == {"rows[1].floor": "must be between -10 and 300", "rows[2].floor": "must be between -10 and 300",
                      "rows[3].floor": "must be a whole number"}


def test_a_building_name_of_60_characters_is_taken_and_61_refused():
    assert registry.parse_units_csv(f"building,unit\n{'b' * 60},1\n")[0]["building"] == "b" * 60
    assert refused(f"building,unit\n{'b' * 61},1\n") == ("1 row(s) need fixing; nothing was imported.", {
        "rows[1].building": "must be at most 60 characters"})


def test_a_unit_is_required_and_a_row_with_two_problems_counts_once():
    assert refused("building,unit\n,\t\nA,\n") == ("1 row(s) need fixing; nothing was imported.", {
        "rows[2].unit": "is required"})
    assert refused("building,unit,floor\n ,#,x\n") == ("1 row(s) need fixing; nothing was imported.", {
        "rows[1].building": "is required", "rows[1].unit": "must be a unit number like 1203 or B-2/301",
        "rows[1].floor": "must be a whole number"})


def test_the_same_unit_twice_in_a_building_is_refused_whatever_its_case_and_spaces():
    assert refused("building,unit\nBlock 1,b-2 / 301\nblock 1,B-2/301\nBlock 2,B-2/301\n")[1] == {
        "rows[2].unit": "repeats row 1"}


def test_a_repeat_names_the_first_row_of_the_unit_even_after_blank_lines():
    assert refused("building,unit\nA,1\n\nA,2\nA,1\n")[1] == {"rows[4].unit": "repeats row 1"}


def test_at_most_5000_rows_are_imported_at_once():
    rows = "".join(f"A,{n}\n" for n in range(1, 5001))
    assert len(registry.parse_units_csv("building,unit\n" + rows)) == 5000
    assert refused("building,unit\n" + rows + "A,5001\n") == ("The file is too long.", {
        "file": "at most 5000 rows per import"})


@pytest.mark.parametrize("header", ['"Building";"Unit"\n', "building\tunit\n", "building;unit;floor\n"])
def test_the_delimiter_is_what_the_header_is_split_by(header):
    delimiter = ";" if ";" in header else "\t"
    rows = registry.parse_units_csv(header + f"Block 1, East{delimiter}101\n")
    assert rows == [{"building": "Block 1, East", "code": "101", "floor": None}]


def test_a_header_split_by_nothing_known_is_read_as_commas():
    assert refused("building|unit\nA|1\n")[1] == {
        "file": "the header must name the columns building,unit (floor is optional); missing: building, unit"}


def test_a_chinese_header_is_read_as_the_same_columns():
    text = "楼栋,单元,房号,楼层\n3号楼,2,1203,12\n3号楼,2单元,1204,12\n5号楼,,0101,1\n"
    assert registry.parse_units_csv(text) == [
        {"building": "3号楼", "code": "2-1203", "floor": 12},
        {"building": "3号楼", "code": "2-1204", "floor": 12},  # "2单元" is entrance 2
        {"building": "5号楼", "code": "0101", "floor": 1},   # no entrance: the room number alone
    ]


def test_a_chinese_header_pasted_from_a_spreadsheet_is_tab_separated():
    assert registry.parse_units_csv("\ufeff楼号\t房间号\n1栋\t101\n") == [{"building": "1栋", "code": "101", "floor": None}]


def test_a_chinese_header_without_the_room_number_names_what_is_missing():
    assert refused("楼栋,单元\n3号楼,2\n")[1] == {
        "file": "the header must name the columns building,unit (floor is optional); missing: unit"}

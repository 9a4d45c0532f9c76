"""What a resident, an admin or an integrator is told when input is wrong."""

import pytest

from chalicelib.domain import registry, tenants, tickets
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.standards import Standards, check_document, parse_duration

STANDARDS = Standards({"categories": [{"key": "repairs"}], "priorities": [{"key": "normal"}],
                       "targets": {"*": {"*": {"first_response": "24h", "resolution": "7d"}}}})
GOOD = {"property_id": "01J0000000000000000000000A", "building_id": "01J0000000000000000000000B", "unit": "1203",
        "category": "repairs", "urgency": "normal", "description": "Tap drips all night"}


def problems(shape, data) -> dict:
    with pytest.raises(InvalidInput) as refused:
        shape.parse_body(data)
    return refused.value.fields


def test_every_bad_field_is_named_with_its_reason_at_once():
    fields = problems(tickets.intake_shape(STANDARDS), {**GOOD, "unit": "", "category": "plumbing",
                                                        "description": "hi", "colour": "red"})
    assert fields["unit"] == "is required"
    assert fields["category"] == "must be one of: repairs"
    assert "at least 5" in fields["description"]
    assert fields["colour"] == "is not a recognised field"


def test_entry_without_the_resident_needs_a_window_and_windows_must_make_sense():
    fields = problems(tickets.intake_shape(STANDARDS), {**GOOD, "entry": {"present": False}})
    assert "time window" in fields["entry.windows"]
    fields = problems(tickets.intake_shape(STANDARDS), {**GOOD, "entry": {"present": False, "windows": [
        {"from": "12:00", "to": "09:00"}, {"days": ["someday"], "from": "9am", "to": "10:00"}]}})
    assert fields["entry.windows[0].to"] == "must be later than 'from'"
    assert fields["entry.windows[1].days[0]"].startswith("must be one of")
    assert fields["entry.windows[1].from"] == "must be a time like 09:00"


def test_contact_details_are_checked_and_normalised():
    fields = problems(tickets.intake_shape(STANDARDS), {**GOOD, "contact": {"phone": "call me", "email": "nope"}})
    assert "phone" in fields["contact.phone"] and "e-mail" in fields["contact.email"]
    ok = tickets.intake_shape(STANDARDS).parse_body({**GOOD, "contact": {"phone": "+86 138-0013-8000",
                                                                         "email": "Li@Example.COM"}})
    assert ok["contact"] == {"name": None, "phone": "+8613800138000", "email": "li@example.com", "notify": None}


@pytest.mark.parametrize("field,value,reason", [
    ("slug", "ab", "at least 3"), ("slug", "Has Spaces", "lower-case"), ("slug", "api", "reserved"),
    ("time_zone", "Mars/Olympus", "IANA"), ("time_zone", "GMT+8", "IANA"), ("locale", "fr", "zh-CN, en"),
    ("admin_email", "admin-at-example", "e-mail"), ("template", "nope", "must be one of"),
])
def test_sign_up_explains_each_bad_field(field, value, reason):
    good = {"name": "Harmony", "slug": "harmony", "time_zone": "Asia/Shanghai", "locale": "zh-CN",
            "admin_email": "a@example.com", "template": "prc-residential"}
    fields = problems(tenants.signup_shape(["prc-residential"]), {**good, field: value})
    assert reason in fields[field]


def test_sign_up_accepts_an_ordinary_firm():
    data = tenants.signup_shape(["prc-residential"]).parse_body({
        "name": "和谐花园物业", "slug": "Harmony-Gardens", "time_zone": "Asia/Shanghai", "locale": "zh-CN",
        "admin_email": "a@example.com"})
    assert data["slug"] == "harmony-gardens" and data["template"] == "prc-residential"


def test_units_csv_reports_every_bad_row_and_imports_nothing():
    with pytest.raises(InvalidInput) as refused:
        registry.parse_units_csv("building,unit,floor\nBlock 1,101,1\n,102,1\nBlock 1,101,1\nBlock 2,#!,x\n")
    fields = refused.value.fields
    assert fields == {"rows[2].building": "is required", "rows[3].unit": "repeats row 1",
                      "rows[4].unit": "must be a unit number like 1203 or B-2/301",
                      "rows[4].floor": "must be a whole number"}


def test_units_csv_from_excel_with_a_bom_and_blank_lines_is_fine():
    rows = registry.parse_units_csv("\ufeffBuilding,Unit\r\n3号楼,1203\r\n\r\n3号楼,1204\r\n")
    assert [(r["building"], r["code"]) for r in rows] == [("3号楼", "1203"), ("3号楼", "1204")]


@pytest.mark.parametrize("pasted", [
    "building\tunit\tfloor\n3号楼\t1203\t12\n3号楼\t1204\t12\n",  # cells copied from a spreadsheet
    "Building;Unit;Floor\r\n3号楼;1203;12\r\n3号楼;1204;12\r\n",    # CSV saved where a comma is the decimal mark
])
def test_units_pasted_from_a_spreadsheet_are_read_like_csv(pasted):
    rows = registry.parse_units_csv(pasted)
    assert [(r["building"], r["code"], r["floor"]) for r in rows] == [("3号楼", "1203", 12), ("3号楼", "1204", 12)]


def test_a_comma_inside_a_tab_separated_cell_stays_in_the_cell():
    rows = registry.parse_units_csv("building\tunit\nBlock 1, East\t101\n")
    assert rows[0]["building"] == "Block 1, East"


def test_units_csv_names_missing_columns():
    with pytest.raises(InvalidInput) as refused:
        registry.parse_units_csv("block,flat\nA,1\n")
    assert "building" in refused.value.fields["file"]


@pytest.mark.parametrize("text,hours,business", [("30m", 0.5, False), ("24h", 24, False), ("7 working days", 168, True),
                                                 ("2d", 48, False)])
def test_durations_read_like_people_write_them(text, hours, business):
    duration = parse_duration(text)
    assert duration.amount.total_seconds() == hours * 3600 and duration.business is business


def test_a_standards_document_names_its_bad_paths():
    with pytest.raises(InvalidInput) as refused:
        check_document({"categories": [{"key": "Bad Key", "name": {"en": "x"}}], "priorities": [],
                        "targets": {"*": {"*": {"first_response": "soon"}}}})
    fields = refused.value.fields
    assert "categories[0].key" in fields and "categories[0].name" in fields and "priorities" in fields
    assert "targets.*.*.first_response" in fields and "targets.*.*.resolution" in fields


def test_the_shipped_templates_are_valid():
    from chalicelib.services import templates
    assert {"prc-residential", "uk-social-housing"} <= set(templates.available())
    for name in templates.available():
        standards = check_document(templates.load(name))
        assert standards.targets("complaint", "urgent").first_response.amount.total_seconds() > 0

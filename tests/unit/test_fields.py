"""The field layer reads every date, time, zone, duration, boolean and piece of free text.

Each class of hostile value the hardening issue found (issue 13: impossible dates that match
a pattern, absurd durations, "yes" for a boolean, "localtime" for a zone, weak ETags, bidi
overrides) is generated here, not only its example: the oracles are hand-written
(a leap-year rule, digit ranges, Unicode categories), never the parser under test.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import campaigns, tenants, tickets
from chalicelib.domain.errors import InvalidInput, PreconditionRequired
from chalicelib.domain.fields import (YEARS, Boolean, Date, DateTime, Problem, Shape, Text, clean_text, iana_zones,
                                      parse_date, parse_datetime, parse_time_of_day, parse_zone)
from chalicelib.domain.standards import (LATEST, MAX_DURATION, Duration, Standards, check_document, deadline,
                                         parse_duration, shift)

# --- an independent calendar: the Gregorian rules written out -------------------------------------


def leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in(year: int, month: int) -> int:
    return [31, 29 if leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def real_date(year: int, month: int, day: int) -> bool:
    return YEARS[0] <= year <= YEARS[1] and 1 <= month <= 12 and 1 <= day <= days_in(year, month)


def refused(parse, *args, **kwargs) -> str:
    with pytest.raises(Problem) as problem:
        parse(*args, **kwargs)
    return str(problem.value)


# --- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,reason", [
    ("2026-02-30", "a date that exists"), ("2026-02-29", "a date that exists"),
    ("2026-13-01", "a date that exists"), ("2026-00-10", "a date that exists"), ("2026-04-31", "a date that exists"),
    ("0000-01-01", "years 2000-2100"), ("9999-12-31", "years 2000-2100"), ("1999-12-31", "years 2000-2100"),
    ("2026-1-1", "like 2026-10-01"), ("20261001", "like 2026-10-01"), ("2026-10-01T00:00", "like 2026-10-01"),
    ("２０２６-１０-０１", "like 2026-10-01"), ("", "like 2026-10-01"),
])
def test_an_impossible_or_unlikely_date_is_refused_with_its_reason(text, reason):
    assert reason in refused(parse_date, text)


@pytest.mark.parametrize("text", ["²", "٢", "１", "9" * 5000, "-1", "1.0"])
def test_a_form_number_is_ascii_digits_only(text):
    from chalicelib.domain.fields import whole_number
    problems: dict[str, str] = {}
    assert whole_number(text, 1, 5, "rating", problems, True) is None and "rating" in problems


def test_a_real_date_is_a_date():
    assert parse_date("2028-02-29") == date(2028, 2, 29)
    assert parse_date(" 2026-10-01 ") == date(2026, 10, 1)
    assert parse_date(date(2026, 10, 1)) == date(2026, 10, 1)  # YAML gives dates already
    for value in (20261001, None, ["2026-10-01"], datetime(2026, 10, 1)):
        refused(parse_date, value)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99))
def test_a_date_of_any_digits_is_accepted_exactly_when_the_calendar_has_it(year, month, day):
    text = f"{year:04d}-{month:02d}-{day:02d}"
    if real_date(year, month, day):
        assert parse_date(text) == date(year, month, day)
    else:
        refused(parse_date, text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_date_or_a_problem_never_a_crash(text):
    try:
        parse_date(text)
    except Problem:
        pass


# --- date-times and times of day ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2026-13-01T10:00:00+08:00", "2026-11-28T25:61:00+08:00", "2026-11-28T25:00+08:00", "2026-11-28T10:61+08:00",
    "2026-11-28T10:00:60+08:00", "2026-11-28T10:00:00+99:99", "2026-11-28T10:00:00+14:30", "2026-11-28T10:00:00-08:60",
    "2026-02-30T10:00:00+08:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00", "2026-11-28T10:00:00",
    "2026-11-28 10:00:00+08:00", "2026-11-28T10:00:00+0800", "2026-11-28T10:00:00z", "tomorrow at ten",
])
def test_an_impossible_date_time_is_refused(text):
    refused(parse_datetime, text)


def test_a_real_date_time_keeps_its_instant():
    moment = parse_datetime("2026-11-28T09:30:00+08:00")
    assert moment == datetime(2026, 11, 28, 1, 30, tzinfo=timezone.utc)
    assert parse_datetime("2026-11-28T01:30Z") == moment
    assert parse_datetime("2026-11-28T09:30:00.5+14:00").utcoffset() == timedelta(hours=14)
    local = parse_datetime("2026-11-28T09:30", zone=ZoneInfo("Asia/Shanghai"))  # a form's datetime-local
    assert local == moment


@settings(max_examples=300, deadline=None)
@given(st.integers(1990, 2110), st.integers(0, 13), st.integers(0, 32), st.integers(0, 26), st.integers(0, 62),
       st.integers(0, 61), st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99))
def test_a_date_time_of_any_digits_is_accepted_exactly_when_every_part_is_real(year, month, day, hour, minute,
                                                                                 second, sign, off_h, off_m):
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{sign}{off_h:02d}:{off_m:02d}"
    offset_minutes = off_h * 60 + off_m
    real = (real_date(year, month, day) and hour <= 23 and minute <= 59 and second <= 59 and off_m <= 59
            and offset_minutes <= 14 * 60)
    if not real:
        refused(parse_datetime, text)
        return
    moment = parse_datetime(text)
    signed = offset_minutes if sign == "+" else -offset_minutes
    assert moment.utcoffset() == timedelta(minutes=signed)
    # The instant by hand: days since 2000-01-01 from the leap rule, then the clock, less the offset.
    days = sum(366 if leap(y) else 365 for y in range(2000, year)) + sum(days_in(year, m) for m in range(1, month))
    seconds = (days + day - 1) * 86400 + hour * 3600 + minute * 60 + second - signed * 60
    assert moment == datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["25:00", "24:00", "10:61", "9:30", "T10:00", "10:00:60", "-1:00", "10h"])
def test_an_impossible_time_of_day_is_refused(text):
    refused(parse_time_of_day, text)


def test_a_time_of_day_and_the_end_of_a_day():
    assert parse_time_of_day("09:30") == time(9, 30)
    assert parse_time_of_day("24:00", end_of_day=True) == time(0)
    refused(parse_time_of_day, "24:01", end_of_day=True)


# --- time zones ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "GMT+8", "UTC+8", "+08:00", "/etc/localtime",
                                  "../../etc/passwd", "posix/Asia/Shanghai", "right/UTC", "asia/shanghai", "",
                                  "Asia/Shanghai\x00", "Mars/Olympus"])
def test_a_name_that_is_not_an_iana_zone_is_refused(name):
    assert "IANA" in refused(parse_zone, name)


@pytest.mark.parametrize("name", ["UTC", "Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Hong_Kong"])
def test_an_iana_zone_is_its_zone_info(name):
    assert parse_zone(name) == ZoneInfo(name)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(available_timezones())))
def test_every_zone_the_machine_knows_is_accepted_only_if_iana_names_it(name):
    """The machine's list (here /usr/share/zoneinfo and tzdata) holds 'localtime' and such."""
    if name in ("localtime", "Factory", "posixrules") or name.startswith(("posix/", "right/")):
        refused(parse_zone, name)
    else:
        assert parse_zone(name).key == name


def test_sign_up_refuses_localtime_and_keeps_the_zone_name():
    good = {"name": "Harmony", "slug": "harmony", "time_zone": "Asia/Shanghai", "locale": "zh-CN",
            "admin_email": "a@example.com", "template": "prc-residential"}
    shape = tenants.signup_shape(["prc-residential"])
    assert shape.parse_body(good)["time_zone"] == "Asia/Shanghai"
    for zone in ("localtime", "Factory"):
        with pytest.raises(InvalidInput) as problem:
            shape.parse_body({**good, "time_zone": zone})
        assert "IANA" in problem.value.fields["time_zone"]
    assert "localtime" not in iana_zones()


# --- durations and the deadlines they give -------------------------------------------------------

@pytest.mark.parametrize("text", ["999999999d", "367d", "366.5d", "8785h", "527041m", "367 working days",
                                  "8785 business hours", "9" * 400 + "d", "9" * 5000 + " working days",
                                  "1" + "0" * 30 + "m"])
def test_a_duration_beyond_366_days_is_refused_when_checked(text):
    with pytest.raises(ValueError) as refusal:
        parse_duration(text, strict=True)
    assert "at most 366 days" in str(refusal.value)


@pytest.mark.parametrize("text,amount", [("366d", timedelta(days=366)), ("8784h", timedelta(days=366)),
                                          ("527040m", timedelta(days=366)),
                                          ("8784 business hours", timedelta(days=366))])
def test_366_days_is_the_longest_promise(text, amount):
    assert parse_duration(text, strict=True).amount == amount


@pytest.mark.parametrize("text", ["999999999d", "9" * 400 + "h", "9" * 400 + " working days", "1e9d"])
def test_a_stored_absurd_duration_reads_as_366_days_or_is_a_plain_error(text):
    try:
        duration = parse_duration(text)
    except ValueError:  # not a duration at all ("1e9d"): the document check refuses it
        return
    assert duration.amount <= MAX_DURATION and duration.days <= 366


def document(**target) -> dict:
    return {"calendar": {"time_zone": "Asia/Shanghai", "country": "CN",
                         "hours": {d: ["08:30-12:00", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}},
            "categories": [{"key": "repairs", "name": {"zh-CN": "维修", "en": "Repairs"}},
                           {"key": "leak", "name": {"zh-CN": "漏水", "en": "Leak"}, "emergency": True}],
            "priorities": [{"key": "normal", "name": {"zh-CN": "一般", "en": "Normal"}}],
            "targets": {"*": {"*": {"first_response": "24h", "resolution": "7 working days", **target}}}}


@pytest.mark.parametrize("path,change", [
    ("targets.*.*.first_response", {"targets": {"*": {"*": {"first_response": "999999999d", "resolution": "7d"}}}}),
    ("targets.*.*.update_every", {"targets": {"*": {"*": {"first_response": "1h", "resolution": "7d",
                                                          "update_every": "400d"}}}}),
    ("targets.*.*.resolution", {"targets": {"*": {"*": {"first_response": "1h",
                                                        "resolution": "9000 business hours"}}}}),
    ("targets.*.*.attend", {"targets": {"*": {"*": {"first_response": "1h", "resolution": "7d", "attend": "500d"}}}}),
    ("escalation.level2.after", {"escalation": {"level2": {"after": "999999999d", "notify": []}}}),
    ("survey.after_resolution", {"survey": {"after_resolution": "1000d"}}),
])
def test_the_standards_name_each_absurd_duration(path, change):
    with pytest.raises(InvalidInput) as problem:
        check_document({**document(), **change})
    assert "at most 366 days" in problem.value.fields[path]


def test_a_business_target_the_calendar_cannot_give_is_refused():
    doc = document(resolution="8000 business hours")
    doc["calendar"]["hours"] = {"mon": ["09:00-10:00"]}  # an hour a week: 150 years
    with pytest.raises(InvalidInput) as problem:
        check_document(doc)
    assert "many years" in problem.value.fields["targets.*.*.resolution"]


def test_the_calendar_section_refuses_impossible_dates_and_zones():
    doc = document()
    doc["calendar"].update(time_zone="localtime", holidays=["2026-02-30", "0000-01-01", "2026-10-01"],
                           workdays="2026-10-10")
    with pytest.raises(InvalidInput) as problem:
        check_document(doc)
    fields = problem.value.fields
    assert "IANA" in fields["calendar.time_zone"]
    assert "exists" in fields["calendar.holidays[0]"] and "2000-2100" in fields["calendar.holidays[1]"]
    assert "calendar.holidays[2]" not in fields and "list" in fields["calendar.workdays"]


SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31),
                      timezones=st.just(timezone.utc))
ALLOWED = st.one_of(
    st.integers(1, 366).map(lambda n: f"{n}d"), st.integers(1, 8784).map(lambda n: f"{n}h"),
    st.integers(1, 527040).map(lambda n: f"{n}m"), st.integers(1, 366).map(lambda n: f"{n} working days"),
    st.integers(1, 8784).map(lambda n: f"{n} business hours"))


@settings(max_examples=40, deadline=None)
@given(STARTS, ALLOWED, st.booleans())
def test_no_allowed_duration_overflows_a_deadline_from_any_start_in_2000_to_2100(start, text, emergency):
    duration = parse_duration(text, strict=True)
    due = deadline(document()["calendar"], start, duration, emergency=emergency)
    assert start < due <= LATEST
    if not duration.business or emergency:
        assert due == start + duration.amount
    later = shift(document()["calendar"], due, duration, start, start + timedelta(days=30), emergency=emergency)
    assert due <= later <= LATEST


@pytest.mark.parametrize("stored", ["999999999d", "9" * 400 + " business hours", "99999 working days"])
def test_a_stored_absurd_standard_still_gives_a_ticket_deadlines(stored):
    """A standard saved before the bound (or written to the table by hand): tickets are still made,
    with promises of at most 366 days (of open time), even from an absurd start."""
    standards = Standards(document(first_response=stored, resolution=stored, update_every=stored))
    report = {"category": "repairs", "urgency": "normal", "property_id": "P", "building_id": "B", "unit": "1203",
              "description": "The tap drips all night", "contact": {}, "entry": None}
    start = datetime(2026, 12, 4, 9, tzinfo=timezone.utc)
    ticket = tickets.new_ticket(ticket_id="T", tenant_id="F", number=1, report=report, standards=standards,
                                now=start, tracking_digest="d")
    # 366 days of calendar time, or 366 working days, or 8,784 business hours at 8 open hours a
    # weekday (1,098 working days: more than 1,098 × 7/5 calendar days, and under six years).
    assert start + timedelta(days=366) <= ticket.resolution_due <= start + timedelta(days=6 * 366)
    assert ticket.first_response_due == ticket.resolution_due
    last = datetime(9999, 12, 30, tzinfo=timezone.utc)
    late = tickets.new_ticket(ticket_id="T", tenant_id="F", number=1, report=report, standards=standards,
                              now=last, tracking_digest="d")
    assert late.resolution_due <= last


def test_a_calendar_that_cannot_place_a_deadline_counts_calendar_time_instead():
    closed = {"time_zone": "Asia/Shanghai", "hours": {}}  # never open (a stored, unchecked document)
    start = datetime(2026, 12, 4, 9, tzinfo=timezone.utc)
    duration = Duration("business_hours", timedelta(hours=4), 0, "4 business hours")
    assert deadline(closed, start, duration, emergency=False) == start + timedelta(hours=4)


# --- booleans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["yes", "no", "true", "false", "on", "off", "1", "0", 1, 0, "", [], {}, "True"])
def test_only_a_json_boolean_is_a_boolean(value):
    problems: dict[str, str] = {}
    Boolean().parse(value, "flag", problems)
    assert "true or false" in problems["flag"]


def test_true_and_false_are_booleans():
    assert Boolean().parse(True, "flag", {}) is True and Boolean().parse(False, "flag", {}) is False


def test_a_campaign_and_an_entry_permission_refuse_yes_for_true():
    with pytest.raises(InvalidInput) as problem:
        campaigns.CREATE.parse_body({"name": "Q4", "property_ids": ["P"], "expectations": "yes", "importance": "no",
                                     "opens_on": "2026-12-01", "closes_on": "2026-12-31"})
    assert set(problem.value.fields) == {"expectations", "importance"}
    with pytest.raises(InvalidInput) as problem:
        tickets.ENTRY.parse_body({"present": "yes"})
    assert "entry" not in problem.value.fields and "present" in problem.value.fields


# --- campaign dates and visit times through their shapes ---------------------------------------------

@pytest.mark.parametrize("opens,closes,bad", [
    ("2026-02-30", "2026-03-31", "opens_on"), ("0000-01-01", "2026-03-31", "opens_on"),
    ("2026-12-01", "2026-13-01", "closes_on"), ("2026-12-01", "2026-11-30", "closes_on"),
])
def test_a_campaign_refuses_impossible_dates_by_name(opens, closes, bad):
    with pytest.raises(InvalidInput) as problem:
        campaigns.CREATE.parse_body({"name": "Q4", "property_ids": ["P"], "opens_on": opens, "closes_on": closes})
    assert list(problem.value.fields) == [bad]


def test_a_campaign_gets_real_dates():
    data = campaigns.CREATE.parse_body({"name": "Q4", "property_ids": ["P"], "opens_on": "2026-12-01",
                                        "closes_on": "2026-12-31"})
    assert (data["opens_on"], data["closes_on"]) == (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize("at", ["2026-13-01T10:00:00+08:00", "2026-11-28T25:61+08:00", "2026-11-28T10:00:00+99:99",
                                "2026-11-28T10:00:00", 20261128, "0001-01-01T00:00:00Z"])
def test_a_visit_time_that_cannot_be_is_refused_under_at(at):
    with pytest.raises(InvalidInput) as problem:
        tickets.parse_event("schedule", {"at": at})
    assert list(problem.value.fields) == ["at"]


def test_a_visit_time_is_an_aware_datetime():
    at = tickets.parse_event("schedule", {"at": "2026-11-28T09:30:00+08:00"})["at"]
    assert at == datetime(2026, 11, 28, 1, 30, tzinfo=timezone.utc)


def test_the_shapes_document_dates_as_dates():
    assert Date().schema()["format"] == "date" and DateTime().schema()["format"] == "date-time"
    assert campaigns.CREATE.schema()["properties"]["opens_on"]["format"] == "date"


# --- If-Match ----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ['W/"3"', 'w/"3"', "W/3", "*", '"3", "4"', '"3', '3"', '"three"', '"-3"',
                                    '"１"', '"²"', '"' + "9" * 5000 + '"', '""'])
def test_if_match_takes_only_one_strong_version(header):
    from chalicelib.services.tickets import parse_version
    with pytest.raises(InvalidInput) as problem:
        parse_version(header)
    assert "If-Match" in problem.value.fields


def test_if_match_reads_a_strong_version_and_says_when_it_is_missing():
    from chalicelib.services.tickets import parse_version
    assert parse_version('"3"') == 3 and parse_version(" 12 ") == 12
    with pytest.raises(PreconditionRequired):
        parse_version(None)


# --- hidden characters in names and free text ---------------------------------------------------

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f",
        "\u061c"]
OTHER_HIDDEN = ["\u200b", "\ufeff", "\u00ad", "\u2060", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\U000e0041"]


@pytest.mark.parametrize("hidden", BIDI + OTHER_HIDDEN)
def test_a_hidden_character_is_taken_out_of_a_name(hidden):
    shape = Shape(fields={"name": Text(max_len=80)})
    assert shape.parse_body({"name": f"Li{hidden} Na{hidden}"})["name"] == "Li Na"


def test_a_name_of_nothing_but_hidden_characters_is_missing():
    with pytest.raises(InvalidInput) as problem:
        Shape(fields={"name": Text(max_len=80)}).parse_body({"name": "\u202e\u200f\u2066"})
    assert problem.value.fields == {"name": "is required"}


def test_an_override_cannot_turn_a_unit_around_for_staff():
    # "1203 ‮ 3021" shows as "1203 1203" to staff; cleaned, it reads as typed.
    assert clean_text("Unit 1203 \u202e3021\u202c please") == "Unit 1203 3021 please"


KEPT = ["水管漏水，请尽快处理 🙏", "👩‍🔧 fixed it ❤️", "🏳️‍🌈 flag", "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E"
        "\U000E0067\U000E007F England's flag", "家住12楼B座", "Ünïcödé naïve café", "👍🏽 thanks", "1️⃣ first"]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_chinese_and_emoji_are_kept_exactly(text):
    assert clean_text(text) == text


def test_multi_line_text_keeps_its_lines_and_tabs_and_a_name_does_not():
    typed = "Kitchen:\r\n\ttap drips\rbathroom ok\u2028end"
    assert clean_text(typed, multiline=True) == "Kitchen:\n\ttap drips\nbathroom ok\nend"
    assert clean_text(typed) == "Kitchen:  tap drips bathroom ok end"
    description = tickets.intake_shape().fields["description"]
    assert description.parse("Line one\nLine two\u202e", "description", {}) == "Line one\nLine two"


HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.booleans())
def test_cleaned_text_holds_no_hidden_character_and_cleaning_twice_changes_nothing(text, multiline):
    cleaned = clean_text(text, multiline=multiline)
    allowed = {"\u200d"} | ({"\n", "\t"} if multiline else set())
    tags = set(chr(c) for c in range(0xE0020, 0xE0080))
    for ch in cleaned:
        assert unicodedata.category(ch) not in HIDDEN_CATEGORIES or ch in allowed or ch in tags, repr(ch)
    assert clean_text(cleaned, multiline=multiline) == cleaned


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(whitelist_categories=("L", "M", "N", "P", "S", "Zs")), max_size=40))
def test_text_without_hidden_characters_is_kept_as_typed(text):
    assert clean_text(text) == text and clean_text(text, multiline=True) == text


def test_the_cli_names_an_absurd_duration_and_a_non_iana_zone_at_their_lines(tmp_path, capsys):
    import cli
    text = (cli_template_text().replace("time_zone: Asia/Shanghai", "time_zone: localtime")
            .replace("first_response: 24h", "first_response: 999999999d", 1))
    path = tmp_path / "absurd.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["standards", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "calendar.time_zone: must be an IANA time zone" in out
    assert ": targets.*.*.first_response: must be at most 366 days" in out


def cli_template_text() -> str:
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "tenants" / "templates" / "prc-residential.yaml").read_text("utf-8")
    assert "time_zone: Asia/Shanghai" in text and "first_response: 24h" in text
    return text


UNIT_SECONDS = {"m": 60, "min": 60, "minutes": 60, "h": 3600, "hours": 3600, "d": 86400, "days": 86400,
                "business hours": 3600, "bh": 3600, "working days": 86400, "wd": 86400}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(1, 10**7), st.integers(10**7, 10**400)), st.sampled_from(sorted(UNIT_SECONDS)))
def test_a_duration_is_accepted_exactly_up_to_366_days_of_its_unit(n, unit):
    text = f"{n} {unit}"
    seconds = n * UNIT_SECONDS[unit]  # exact integers: no float in the oracle
    if seconds > 366 * 86400:
        with pytest.raises(ValueError):
            parse_duration(text, strict=True)
        assert parse_duration(text).amount == MAX_DURATION  # a stored one reads as the longest
    else:
        assert parse_duration(text, strict=True).amount == timedelta(seconds=seconds)


def test_the_time_of_day_and_zone_fields_give_real_values():
    from chalicelib.domain.fields import TimeOfDay, TimeZone
    shape = Shape(fields={"at": TimeOfDay(), "zone": TimeZone()})
    assert shape.parse_body({"at": "07:45", "zone": "Europe/London"}) == {"at": time(7, 45),
                                                                          "zone": ZoneInfo("Europe/London")}
    with pytest.raises(InvalidInput) as problem:
        shape.parse_body({"at": "25:61", "zone": "localtime"})
    assert set(problem.value.fields) == {"at", "zone"}


def test_a_building_name_from_a_units_file_loses_its_hidden_characters():
    from chalicelib.domain import registry
    rows = registry.parse_units_csv("building,unit\n3号楼\u202e\u200b,1203\n")
    assert rows == [{"building": "3号楼", "code": "1203", "floor": None}]


@pytest.mark.parametrize("start", [datetime(9999, 12, 31, 23, tzinfo=timezone.utc),
                                   datetime(9800, 1, 1, tzinfo=timezone.utc)])
@pytest.mark.parametrize("amount", [timedelta(hours=1), timedelta(days=999_999_999)])
def test_business_time_from_the_last_years_python_has_is_a_value_error_not_an_overflow(start, amount):
    from chalicelib.domain import calendar
    cal = calendar.calendar_from_document({"time_zone": "Asia/Shanghai", "hours": {"mon": ["09:00-17:00"]}}, [2026])
    for count in (lambda: calendar.add(cal, start, amount), lambda: calendar.add_working_days(cal, start, amount.days),
                  lambda: calendar.add(cal, datetime(2026, 1, 1, tzinfo=timezone.utc), timedelta(days=999_999_999))):
        with pytest.raises(ValueError):
            count()


@pytest.mark.parametrize("local,zone", [("2026-02-30T10:00", "Asia/Shanghai"), ("2026-11-28T25:61", "Asia/Shanghai"),
                                        ("2026-11-28T10:00", "localtime"), ("2026-11-28T10:00", "../../etc/passwd"),
                                        ("0000-01-01T00:00", "UTC"), (None, "UTC")])
def test_the_consoles_visit_time_passes_what_cannot_be_read_on_for_the_field_to_refuse(local, zone):
    from chalicelib.api.console.work import with_zone
    assert with_zone(local, zone) == local
    if local is not None:
        with pytest.raises(InvalidInput):
            tickets.parse_event("schedule", {"at": with_zone(local, zone)})


def test_the_consoles_visit_time_is_read_in_the_firms_zone():
    from chalicelib.api.console.work import with_zone
    at = tickets.parse_event("schedule", {"at": with_zone("2026-11-28T09:30", "Asia/Shanghai")})["at"]
    assert at == datetime(2026, 11, 28, 1, 30, tzinfo=timezone.utc)


def test_a_survey_comment_keeps_its_lines_and_loses_hidden_characters():
    from chalicelib.domain import surveys
    questions = surveys.Questions(nps=False, servqual=False, fixed_question=False, weights=None)
    answer = surveys.parse_answer({"rating": "5", "comment": "很好 👍\u202e\r\nthanks\u200f"}, questions)
    assert answer["comment"] == "很好 👍\nthanks"
    for comment in (42, ["x"], {"a": 1}):
        with pytest.raises(InvalidInput) as problem:
            surveys.parse_answer({"rating": "5", "comment": comment}, questions)
        assert problem.value.fields == {"comment": "must be text"}

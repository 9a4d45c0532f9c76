"""What a firm tells its residents on every page (domain/resident_page.py): its service phone,
its own personal information notice and the version a resident agreed to. Expected values
are written out by hand."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain import resident_page as page
from chalicelib.domain.errors import InvalidInput

FIRM = {"service_phone": "400-820-8820", "property_phones": {"P1": "021-6888 8888"}}


def test_a_phone_becomes_a_tel_link_of_its_digits_and_a_leading_plus():
    assert page.tel_href("400-820-8820") == "tel:4008208820"
    assert page.tel_href(" +86 21 6888 8888") == "tel:+862168888888"
    assert page.tel_href("021-6888-8888") == "tel:02168888888"
    assert page.tel_href("") == "" and page.tel_href(None) == ""


def test_a_propertys_own_phone_wins_over_the_firms():
    assert page.service_phone(FIRM, " 021-1 ") == "021-1"
    assert page.service_phone(FIRM) == "400-820-8820"
    assert page.service_phone({"service_phone": " 400-1 "}, "") == "400-1"
    assert page.service_phone(None) == "" and page.service_phone({}) == ""


def test_messages_carry_the_propertys_copied_phone_or_else_the_firms():
    assert page.phone_for(FIRM, "P1") == "021-6888 8888"
    assert page.phone_for(FIRM, "P2") == "400-820-8820"
    assert page.phone_for(FIRM, None) == "400-820-8820"
    assert page.phone_for({"property_phones": {"P1": " 1234 "}}, "P1") == "1234"
    assert page.phone_for({"property_phones": None, "service_phone": None}, "P1") == ""
    assert page.phone_for(None, "P1") == ""


def test_a_propertys_phone_is_copied_into_the_firms_settings_and_removed_when_cleared():
    added = page.with_property_phone(FIRM, "P2", "0755-1234")
    assert added == {"service_phone": "400-820-8820", "property_phones": {"P1": "021-6888 8888", "P2": "0755-1234"}}
    assert FIRM["property_phones"] == {"P1": "021-6888 8888"}  # the settings read are not changed in place
    assert page.with_property_phone(FIRM, "P1", "") == {"service_phone": "400-820-8820", "property_phones": {}}
    assert page.with_property_phone(FIRM, "P9", None) == FIRM
    assert page.with_property_phone(None, "P1", "1234") == {"property_phones": {"P1": "1234"}}


def test_the_settings_form_keeps_the_phones_and_retention_and_moves_the_version_only_on_a_new_notice():
    before = {"service_phone": "400-1", "property_phones": {"P1": "021-1"}, "retention": {"contact_days": 90},
              "notice": {"en": "Old"}, "notice_version": 2}
    same = page.changed(before, {"service_phone": " 400-2 ", "notice_en": " Old ", "notice_zh_cn": "  "})
    assert same == {"service_phone": "400-2", "property_phones": {"P1": "021-1"}, "retention": {"contact_days": 90},
                    "notice": {"en": "Old"}, "notice_version": 2}
    new = page.changed(before, {"notice_en": "Old", "notice_zh_cn": "新的"})
    assert new == {"service_phone": "", "property_phones": {"P1": "021-1"}, "retention": {"contact_days": 90},
                   "notice": {"zh-CN": "新的", "en": "Old"}, "notice_version": 3}
    back_to_default = page.changed(before, {"notice_en": None})
    assert back_to_default == {"service_phone": "", "property_phones": {"P1": "021-1"},
                               "retention": {"contact_days": 90}, "notice_version": 3}


def test_a_first_settings_form_without_a_notice_stays_at_version_0_and_a_first_notice_is_1():
    assert page.changed(None, {}) == {"service_phone": "", "property_phones": {}, "notice_version": 0}
    assert page.changed({}, {"notice_zh_cn": "告知"}) == {"service_phone": "", "property_phones": {},
                                                         "notice": {"zh-CN": "告知"}, "notice_version": 1}


def test_the_notice_version_a_resident_agrees_to_names_the_firms_text_or_the_default():
    assert page.notice_version({"notice": {"en": "x"}, "notice_version": 3}) == "firm-3"
    assert page.notice_version({"notice": {"en": "x"}}) == "firm-0"
    assert page.notice_version({"notice_version": 3}) == "default-2026-12"
    assert page.notice_version(None) == "default-2026-12"


def test_the_firms_own_notice_is_shown_in_the_pages_language_or_else_the_default():
    firm = {"notice": {"zh-CN": "告知", "en": ""}}
    assert page.custom_notice(firm, "zh-CN") == "告知"
    assert page.custom_notice(firm, "en") is None
    assert page.custom_notice({}, "zh-CN") is None and page.custom_notice(None, "en") is None


def test_consent_is_recorded_with_the_moment_and_notice_only_when_a_phone_or_email_was_given():
    now = datetime(2026, 12, 5, 8, 30, tzinfo=timezone.utc)
    assert page.consent({"phone": "13800138000"}, "firm-2", now) == {
        "phone": "13800138000", "consent": {"at": "2026-12-05T08:30:00Z", "notice": "firm-2"}}
    assert page.consent({"email": "a@b.example"}, "default-2026-12", now)["consent"] == {
        "at": "2026-12-05T08:30:00Z", "notice": "default-2026-12"}
    assert page.consent({"name": "Wang", "phone": ""}, "firm-2", now) == {"name": "Wang", "phone": ""}


@pytest.mark.parametrize("phone", ["400-820-8820", "+86 21 6888 8888", "1234", "1" * 24])
def test_a_service_phone_like_a_phone_number_is_accepted(phone):
    assert page.PROPERTY_PHONE.parse_body({"service_phone": phone}) == {"service_phone": phone}


@pytest.mark.parametrize("phone, reason", [
    ("123", "must be a phone number such as 400-820-8820 or +86 21 6888 8888"),
    ("400-820-882x", "must be a phone number such as 400-820-8820 or +86 21 6888 8888"),
    ("-400-820", "must be a phone number such as 400-820-8820 or +86 21 6888 8888"),
    ("1" * 25, "must be at most 24 characters"),
])
def test_a_service_phone_that_is_not_a_phone_number_is_refused_with_an_example(phone, reason):
    with pytest.raises(InvalidInput) as refused:
        page.SETTINGS_SHAPE.parse_body({"service_phone": phone})
    assert refused.value.fields == {"service_phone": reason}


def test_the_service_phone_may_be_left_out_unless_required():
    assert page.SETTINGS_SHAPE.parse_body({}).get("service_phone") is None
    from chalicelib.domain.fields import Shape
    with pytest.raises(InvalidInput) as refused:
        Shape(fields={"service_phone": page.service_phone_field(required=True)}).parse_body({})
    assert refused.value.fields == {"service_phone": "is required"}
    assert page.service_phone_field().schema()["description"] == "the service desk residents may call, e.g. 400-820-8820"

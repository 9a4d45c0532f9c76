"""Notification texts: both locales, the tenant's time zone, nothing personal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import messages
from chalicelib.domain.messages import KINDS, Message, render

# 06:30 UTC on 24 Nov 2025 is 14:30 in Shanghai (UTC+8) and 06:30 in London (GMT).
INSTANT = datetime(2025, 11, 24, 6, 30, tzinfo=timezone.utc)


def data(**overrides):
    base = {
        "ticket": "1042",
        "category": {"en": "Repairs", "zh-CN": "维修"},
        "unit": "3-2-501",
        "promise": "first_response",
        "due": INSTANT,
        "time_zone": "Asia/Shanghai",
        "firm": {"en": "Green Court", "zh-CN": "绿苑物业"},
        "link": "https://console.propdesk.example/tickets/01J",
        "code": "40712358", "minutes": 15,  # sign-in codes (account_invite, password_reset)
    }
    base.update(overrides)
    return base


SIGN_IN_CODES = ("account_invite", "password_reset")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_kind_renders_in_both_locales(kind, locale):
    message = render(kind, locale, data())
    assert isinstance(message, Message)
    assert message.subject and message.text
    assert "\n" not in message.subject
    assert message.kind == kind and message.locale == locale
    name = "绿苑物业" if locale == "zh-CN" else "Green Court"
    assert name in message.subject
    if kind in SIGN_IN_CODES:  # about a person's login, not a ticket
        assert "40712358" in message.text
    elif kind != "test_message":
        assert "1042" in message.text
        assert ("维修" if locale == "zh-CN" else "Repairs") in message.text
    assert message.text.endswith("https://console.propdesk.example/tickets/01J")


def test_chinese_times_are_written_as_people_write_them_in_the_tenants_zone():
    message = render("sla_warning", "zh-CN", data())
    assert "11月24日 14:30" in message.subject and "11月24日 14:30" in message.text
    assert "首次响应" in message.text
    assert "06:30" not in message.text


def test_the_same_instant_reads_differently_in_shanghai_and_london():
    shanghai = render("sla_breach_level1", "en", data(time_zone="Asia/Shanghai"))
    london = render("sla_breach_level1", "en", data(time_zone="Europe/London"))
    assert "24 Nov 14:30" in shanghai.text and "24 Nov 14:30" not in london.text
    assert "24 Nov 06:30" in london.text
    assert shanghai.facts["due"] == london.facts["due"] == "2025-11-24T06:30:00Z"


def test_a_london_summer_time_and_a_date_change_are_shown_in_local_time():
    late = datetime(2025, 7, 1, 23, 15, tzinfo=timezone.utc)  # BST: 00:15 on 2 Jul; Shanghai: 07:15 on 2 Jul
    assert "2 Jul 00:15" in render("sla_warning", "en", data(due=late, time_zone="Europe/London")).text
    assert "7月2日 07:15" in render("sla_warning", "zh-CN", data(due=late, time_zone="Asia/Shanghai")).text
    other_offset = late.astimezone(timezone(timedelta(hours=-5)))  # the zone the datetime carries does not matter
    assert "2 Jul 00:15" in render("sla_warning", "en", data(due=other_offset, time_zone="Europe/London")).text


def test_each_promise_is_named():
    assert "progress update" in render("sla_warning", "en", data(promise="update")).text
    assert "处理完成" in render("sla_breach_level2", "zh-CN", data(promise="resolution")).text
    assert "resolution" in render("sla_breach_level2", "en", data(promise="resolution")).subject
    with pytest.raises(ValueError):
        render("sla_warning", "en", data(promise="coffee"))


def test_levels_say_which_level():
    assert "level 1" in render("sla_breach_level1", "en", data()).text
    assert "level 2" in render("sla_breach_level2", "en", data()).text
    assert "一级" in render("sla_breach_level1", "zh-CN", data()).text
    assert "二级" in render("sla_breach_level2", "zh-CN", data()).text


def test_visit_reminder_tells_the_resident_when_in_the_tenants_zone():
    visit = datetime(2025, 11, 25, 1, 0, tzinfo=timezone.utc)
    zh = render("visit_reminder", "zh-CN", data(visit_at=visit, due=None))
    assert "11月25日 09:00" in zh.text and "上门" in zh.text and "3-2-501" in zh.text
    en = render("visit_reminder", "en", data(visit_at=visit, due=None, time_zone="Europe/London"))
    assert "25 Nov 01:00" in en.text and "visit" in en.text
    assert en.facts["visit_at"] == "2025-11-25T01:00:00Z"


def test_staff_messages_carry_no_resident_personal_data():
    personal = {
        "resident_name": "王小明",
        "phone": "+8613800138000",
        "resident_phone": "13800138000",
        "email": "wang.xiaoming@example.cn",
        "description": "卫生间天花板漏水，家里有老人，下午两点后在家",
        "access_notes": "Key under the mat",
    }
    for kind in ("sla_warning", "sla_breach_level1", "sla_breach_level2", "test_message"):
        for locale in ("zh-CN", "en"):
            message = render(kind, locale, data(**personal))
            everything = message.subject + message.text + repr(message.facts)
            for value in personal.values():
                assert value not in everything, (kind, locale, value)
            assert "13800138000" not in everything


def test_admin_supplied_names_cannot_add_lines():
    message = render("sla_warning", "en", data(category="Repairs\nCall +8613800138000 now", firm="Acme\r\nLtd"))
    assert "\n" not in message.subject
    assert message.text.count("\n") == 1  # only the link line


def test_unknown_locale_falls_back_to_english_and_variants_are_understood():
    assert render("test_message", "fr-FR", data()).locale == "en"
    assert render("test_message", "", data()).locale == "en"
    assert render("test_message", "zh_CN", data()).locale == "zh-CN"
    assert render("test_message", "zh-Hans-CN", data()).locale == "zh-CN"
    assert render("test_message", "en-GB", data()).locale == "en"


def test_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError):
        render("birthday_greeting", "en", data())


def test_bad_times_are_refused():
    with pytest.raises(ValueError):
        render("sla_warning", "en", data(due=datetime(2025, 11, 24, 14, 30)))  # naive
    with pytest.raises(ValueError):
        render("sla_warning", "en", data(time_zone="Mars/Olympus_Mons"))
    with pytest.raises(ValueError):
        render("sla_warning", "en", data(due=None))
    with pytest.raises(ValueError):
        render("sla_warning", "en", data(due="2025-11-24T06:30:00"))  # a naive ISO string
    with pytest.raises(ValueError):
        render("sla_warning", "en", data(due="next Tuesday"))


def test_times_stored_as_iso_strings_are_understood():
    assert "11月24日 14:30" in render("sla_warning", "zh-CN", data(due="2025-11-24T06:30:00Z")).text
    assert "24 Nov 14:30" in render("sla_warning", "en", data(due="2025-11-24T14:30:00+08:00")).text


def test_test_message_needs_nothing_but_can_name_the_firm():
    assert render("test_message", "en", {}).text
    assert "绿苑物业" in render("test_message", "zh-CN", {"firm": "绿苑物业"}).text
    assert messages.format_time(INSTANT, "Asia/Shanghai", "zh-CN") == "11月24日 14:30"
    assert messages.format_time(INSTANT, "Europe/London", "en") == "24 Nov 06:30"


@pytest.mark.parametrize("locale, lifetime", [("zh-CN", "15 分钟内有效"), ("en", "works for 15 minutes")])
def test_a_reset_code_message_says_the_code_and_how_long_it_lasts(locale, lifetime):
    message = render("password_reset", locale, {"code": "093117", "minutes": 15})
    assert "093117" not in message.subject  # subjects are printed (the local stack's mailbox) and logged
    assert "093117" in message.text and lifetime in message.text


def test_an_invitation_says_its_lifetime_in_hours():
    assert "72 小时内有效" in render("account_invite", "zh-CN", {"code": "40712358", "minutes": 72 * 60}).text
    assert "valid for 72 hours" in render("account_invite", "en", {"code": "40712358", "minutes": 72 * 60}).text

"""What residents are told at every step: names never codes, both languages, SMS length,
quiet hours in the firm's zone, and one channel of their choosing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import notices, tokens
from chalicelib.domain.messages import RESIDENT_KIND, render, visit_words
from chalicelib.domain.notices import STEP_KINDS, deliver_at, merge, quiet_end
from chalicelib.domain.sms import sms_segments as segments

UTC = timezone.utc
BASE = "https://desk.example.com"
SHORT = "AbCdEfGhIjKlMnOpQrStUv"  # 22 characters, as a real short token
LINKS = {"track": f"{BASE}/m/{SHORT}", "stop": f"{BASE}/m/{SHORT}/stop",
         "survey": f"{BASE}/m/{SHORT}/survey", "not_fixed": f"{BASE}/m/{SHORT}/not-fixed"}
VISIT = "2026-12-10T01:00:00Z"  # Thursday 10 Dec, 09:00 in Shanghai


def step(kind: str, zh: bool = False) -> dict:
    """A step with staff's own words (written in the resident's language, as staff do)."""
    facts = {"assigned": {"name": "Wang"}, "visit_booked": {"visit_at": VISIT, "visit_until": "2026-12-10T03:00:00Z"},
             "visit_moved": {"visit_at": VISIT, "visit_until": "2026-12-10T03:00:00Z"},
             "visit_cancelled": {"visit_at": VISIT}, "reply": {"body": "We ordered the part"},
             "waiting": {"question": "Is the leak under the sink?"}, "resolved": {"note": "Replaced the seal"},
             "closed": {"reason": "duplicate"}}
    if zh:
        facts.update(assigned={"name": "王建国"}, reply={"body": "配件已订购"}, waiting={"question": "漏水在水槽下面吗？"},
                     resolved={"note": "已更换密封圈"})
    return {"kind": kind, "at": "2026-12-04T02:00:00Z", **facts.get(kind, {})}


def message(kind: str, locale: str, channel: str, **extra):
    data = {"steps": [step(kind, locale == "zh-CN")], "ticket": "1042", "channel": channel, "signature": "绿苑物业" if locale == "zh-CN"
            else "GreenCourt", "firm": {"zh-CN": "绿苑物业服务有限公司", "en": "Green Court Property"},
            "time_zone": "Asia/Shanghai", "links": LINKS, **extra}
    return render(RESIDENT_KIND, locale, data)


CODES = re.compile(r"\b[a-z]+_[a-z_]+\b")  # water_leak, visit_booked, not_fixed in prose...
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_reads_in_words_with_no_codes_no_gaps(kind, locale, channel):
    sent = message(kind, locale, channel)
    text = sent.subject + "\n" + sent.text
    prose = re.sub(r"https?://\S+", "", text)
    assert not CODES.search(prose), prose
    assert "None" not in prose and "{" not in prose and "：。" not in prose and ": ." not in prose
    assert "1042" in prose
    assert LINKS["track"] in sent.text
    if locale == "zh-CN":
        assert not ENGLISH_WORD.search(prose), prose
    if channel == "email":
        assert LINKS["stop"] in sent.text and sent.subject
    if kind == "resolved":
        assert LINKS["survey"] in sent.text and LINKS["not_fixed"] in sent.text


def test_the_closing_reason_is_a_name_never_its_key():
    assert "与另一条报事重复" in message("closed", "zh-CN", "sms").text
    assert "it repeats another report" in message("closed", "en", "email").text
    assert "duplicate" not in message("closed", "en", "sms").text


def test_a_visit_reads_as_weekday_date_and_range_without_seconds():
    start = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    assert visit_words(start, start + timedelta(hours=2), "Asia/Shanghai", "zh-CN") == "12月10日周四 09:00-11:00"
    assert visit_words(start, start + timedelta(hours=2), "Asia/Shanghai", "en") == "Thu 10 Dec, 09:00-11:00"
    assert visit_words(start, None, "Europe/London", "en") == "Thu 10 Dec, 01:00"
    assert "12月10日周四 09:00-11:00" in message("visit_booked", "zh-CN", "sms").text


def test_the_sms_signature_is_the_short_setting_not_the_full_name():
    sms = message("acknowledged", "zh-CN", "sms")
    assert sms.text.startswith("【绿苑物业】") and "有限公司" not in sms.text
    assert notices.signature_of({"sms_signature": "绿苑"}, "绿苑物业服务有限公司") == "绿苑"
    assert notices.signature_of({}, "绿苑物业服务有限公司") == "绿苑物业服务有限公司"[:10]


@pytest.mark.parametrize("kind", [k for k in STEP_KINDS if k not in ("resolved",)])
def test_chinese_sms_fits_one_part_for_short_steps_with_a_short_base(kind):
    """With a short host (as Chinese firms use) a zh-CN SMS is one part, except the resolve
    (three links) and steps that quote staff's words or a visit's full range."""
    short = {k: v.replace(BASE, "https://wy.cn") for k, v in LINKS.items()}
    text = message(kind, "zh-CN", "sms", links=short).text
    limit = 2 if kind in ("reply", "waiting", "visit_booked", "visit_moved", "visit_cancelled") else 1
    assert segments(text) <= limit, (len(text), text)


def test_segments_count_as_carriers_bill():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("[" * 80) == 1 and segments("[" * 81) == 2  # extension characters count twice
    assert segments("报" * 70) == 1 and segments("报" * 71) == 2 and segments("报" * 134) == 2
    assert segments("报" * 135) == 3
    assert segments("é" * 160) == 1  # in the GSM alphabet
    assert segments("ê" * 71) == 2  # not in it: UCS-2


def test_successive_steps_within_the_hold_are_one_message():
    booked, moved = step("visit_booked"), {**step("visit_moved"), "visit_at": "2026-12-11T01:00:00Z"}
    assert [s["kind"] for s in merge([step("received"), step("acknowledged")])] == ["received", "acknowledged"]
    merged = merge([booked, moved])
    assert [s["kind"] for s in merged] == ["visit_booked"] and merged[0]["visit_at"] == "2026-12-11T01:00:00Z"
    assert merge([step("acknowledged"), booked, step("visit_cancelled")]) == [step("acknowledged")]
    both = render(RESIDENT_KIND, "en", {"steps": [step("received"), step("acknowledged")], "ticket": "7",
                                        "channel": "sms", "links": LINKS, "time_zone": "UTC"})
    assert "received your report" in both.text and "being handled" in both.text


def test_a_step_joins_the_held_message_or_opens_the_next():
    t0 = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    first = notices.plan({}, t0, t0 + notices.HOLD)
    assert (first.seq, first.join) == (1, False)
    second = notices.plan(first.notice, t0 + timedelta(minutes=1), t0 + timedelta(minutes=3))
    assert (second.seq, second.join, second.deliver_at) == (1, True, t0 + notices.HOLD)
    third = notices.plan(first.notice, t0 + notices.HOLD, t0 + timedelta(minutes=4))
    assert (third.seq, third.join) == (2, False)


# --- quiet hours ---------------------------------------------------------------------------------

QUIET = {"from": "21:00", "to": "08:00"}


@pytest.mark.parametrize("local, expected", [
    ("20:59", None), ("21:00", "08:00+1"), ("23:30", "08:00+1"), ("00:00", "08:00"), ("07:59", "08:00"),
    ("08:00", None), ("12:00", None),
])
def test_quiet_hours_boundaries_in_shanghai(local, expected):
    hour, minute = map(int, local.split(":"))
    # Shanghai is UTC+8 all year: 2026-12-04 local hh:mm is that minus 8 hours in UTC.
    moment = datetime(2026, 12, 4, hour, minute, tzinfo=UTC) - timedelta(hours=8)
    end = quiet_end(moment, "Asia/Shanghai", QUIET)
    if expected is None:
        assert end is None
        assert deliver_at(moment, "Asia/Shanghai", QUIET, urgent=False) == moment
    else:
        day = 5 if expected.endswith("+1") else 4
        assert end == datetime(2026, 12, day, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
        assert deliver_at(moment, "Asia/Shanghai", QUIET, urgent=False) == end
        assert deliver_at(moment, "Asia/Shanghai", QUIET, urgent=True) == moment


def test_quiet_hours_follow_london_across_the_clock_change():
    # The night of 28-29 March 2026 London goes from GMT to BST at 01:00 UTC: 08:00 local on
    # the 29th is 07:00 UTC, while 08:00 on the 28th was 08:00 UTC.
    before = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)  # 22:30 GMT
    assert quiet_end(before, "Europe/London", QUIET) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    across = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)  # 21:00 GMT, the night the clocks go forward
    assert quiet_end(across, "Europe/London", QUIET) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert quiet_end(datetime(2026, 3, 29, 6, 59, tzinfo=UTC), "Europe/London", QUIET) == \
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 07:59 BST
    assert quiet_end(datetime(2026, 3, 29, 7, 0, tzinfo=UTC), "Europe/London", QUIET) is None  # 08:00 BST
    # autumn: 25 Oct 2026 back to GMT; 20:00 UTC on the 24th is 21:00 BST
    assert quiet_end(datetime(2026, 10, 24, 20, 0, tzinfo=UTC), "Europe/London", QUIET) == \
        datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert quiet_end(datetime(2026, 10, 24, 19, 59, tzinfo=UTC), "Europe/London", QUIET) is None


def test_quiet_hours_within_one_day_and_turned_off():
    lunch = {"from": "12:00", "to": "13:30"}
    noon = datetime(2026, 12, 4, 12, 15, tzinfo=UTC)
    assert quiet_end(noon, "UTC", lunch) == datetime(2026, 12, 4, 13, 30, tzinfo=UTC)
    assert quiet_end(noon.replace(hour=13, minute=30), "UTC", lunch) is None
    assert notices.quiet_hours_of({"quiet_hours": False}) is None
    assert notices.quiet_hours_of({}) == QUIET


# --- channel and links -----------------------------------------------------------------------

def test_the_channel_is_the_residents_choice_or_what_they_gave():
    assert notices.channel_for({"phone": "+8613800138000"}) == {"channel": "sms", "to": "+8613800138000"}
    assert notices.channel_for({"email": "a@b.cn"}) == {"channel": "email", "to": "a@b.cn"}
    assert notices.channel_for({"phone": "+8613800138000", "email": "a@b.cn", "notify": "email"})["channel"] == "email"
    assert notices.channel_for({"phone": "+8613800138000", "notify": "none"}) is None
    assert notices.channel_for({"phone": "+8613800138000"}, {"stopped": True}) is None
    assert notices.channel_for({}) is None
    assert notices.contact_problems({"notify": "sms", "email": "a@b.cn"}) == {"phone": "is needed for messages by SMS"}


def test_the_short_link_carries_128_bits_in_22_characters_and_rebuilds_the_long_one():
    tenant, ticket = tokens.new_id(), tokens.new_id()
    issued = tokens.issue(tenant, ticket)
    short = tokens.short_of(issued.token)
    assert len(short) == 22 <= 24 and len(tokens.short_secret(short)) * 8 == 128
    assert tokens.from_short(tenant, ticket, short).token == issued.token
    assert tokens.short_secret(short[:-1]) is None and tokens.short_secret(short + "A") is None
    assert tokens.short_of(tokens.issue(tenant, ticket).token) != short

"""Contacts as keys (domain/contacts.py): normalising, masking, digests, sealed links, codes.
Expected values are written out by hand."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain import contacts


@pytest.mark.parametrize("typed, zone, expected", [
    ("138 0013 8000", "Asia/Shanghai", "+8613800138000"),
    ("+86 138-0013-8000", "Asia/Shanghai", "+8613800138000"),
    ("8613800138000", "Asia/Shanghai", "+8613800138000"),
    ("0086 13800138000", "UTC", "+8613800138000"),
    ("07700 900123", "Europe/London", "+447700900123"),
    ("(021) 6888-8888", "Asia/Shanghai", "+862168888888"),
    ("5550100", "America/Chicago", "5550100"),  # no country known: the digits as typed
])
def test_phone_numbers_typed_any_way_become_one_form(typed, zone, expected):
    assert contacts.parse(typed, zone) == contacts.Contact("phone", expected)


def test_e_mail_addresses_are_compared_without_case_and_nonsense_is_refused():
    assert contacts.parse(" Li.Na@Example.COM ") == contacts.Contact("email", "li.na@example.com")
    for text in ("", "not a number", "12", "a@b", "li@@example.com"):
        with pytest.raises(contacts.NotAContact):
            contacts.parse(text, "Asia/Shanghai")


def test_masks_show_enough_to_recognise_not_to_use():
    assert contacts.mask("+8613800138000") == "138****8000"
    assert contacts.mask("13800138000") == "138****8000"
    assert contacts.mask("+447700900123") == "770***0123"
    assert contacts.mask("li.na@example.com") == "l***@example.com"


def test_digests_are_per_firm_keyed_and_hide_the_contact():
    phone = contacts.parse("13800138000", "Asia/Shanghai")
    a = contacts.digest("T1", phone, "pepper")
    assert a == contacts.digest("T1", contacts.parse("+86 138 0013 8000"), "pepper")
    assert a != contacts.digest("T2", phone, "pepper") and a != contacts.digest("T1", phone, "other")
    assert "13800138000" not in a and len(a) == 40


def test_a_sealed_link_opens_only_with_the_same_contact_and_ticket():
    phone = contacts.parse("13800138000", "Asia/Shanghai")
    token = "A" * 20 + "b_-" * 14 + "z" * 2
    sealed = contacts.seal(token, "T1", phone, "K1", "pepper")
    assert token not in sealed
    assert contacts.unseal(sealed, "T1", phone, "K1", "pepper") == token
    assert contacts.unseal(sealed, "T1", contacts.parse("13800138001", "Asia/Shanghai"), "K1", "pepper") != token
    assert contacts.unseal(sealed, "T1", phone, "K2", "pepper") != token


def test_codes_are_six_digits_kept_only_as_a_salted_hmac():
    now = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    one, two = contacts.new_code(now, "p"), contacts.new_code(now, "p")
    assert len(one.code) == 6 and one.code.isdigit()
    assert one.code not in one.code_hash and one.salt != two.salt
    assert (one.expires_at - now).total_seconds() == 600
    assert contacts.code_matches(one.code, one.salt, one.code_hash, "p")
    assert contacts.code_matches(f" {one.code[:3]} {one.code[3:]} ", one.salt, one.code_hash, "p")
    assert not contacts.code_matches(one.code, two.salt, one.code_hash, "p")
    assert not contacts.code_matches("12345", one.salt, one.code_hash, "p")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_code_message_fits_one_sms_segment(locale):
    subject, text = contacts.code_text(locale, "绿园物业" if locale == "zh-CN" else "Green Court Homes", "123456")
    assert "123456" in text
    assert len(text) <= (70 if locale == "zh-CN" else 160)


# --- the rest of the rules, each value written out by hand or taken from the stated formula ---

import hashlib  # noqa: E402
import hmac  # noqa: E402

PHONE = contacts.Contact("phone", "+8613800138000")


def spec_hmac(key: bytes, message: str) -> str:
    """HMAC-SHA256 as the module's docstring states it, computed here with the standard library."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def test_a_code_goes_by_sms_to_a_phone_and_by_email_to_an_address():
    assert PHONE.channel == {"channel": "sms", "to": "+8613800138000"}
    assert contacts.Contact("email", "li@example.com").channel == {"channel": "email", "to": "li@example.com"}
    assert PHONE.masked == "138****8000"


@pytest.mark.parametrize("typed, zone, expected", [
    ("123456", "UTC", "123456"),                          # six digits: the shortest number taken
    ("+" + "1" * 20, "UTC", "+" + "1" * 20),              # twenty: the longest
    ("013800138000", "Asia/Shanghai", "+8613800138000"),  # a trunk 0 before a mobile number
    ("86123456", "Asia/Shanghai", "+8686123456"),         # starts like the country code but too short for it
    ("447700900123", "Europe/London", "+447700900123"),   # typed with the country code, without +
    ("98765432", "Asia/Hong_Kong", "+85298765432"),
    ("85298765432", "Asia/Hong_Kong", "+85298765432"),   # Hong Kong's code typed without +: 8 digits after it
    ("85366123456", "Asia/Macau", "+85366123456"),
    ("6591234567", "Asia/Singapore", "+6591234567"),
    ("886912345678", "Asia/Taipei", "+886912345678"),
    ("353871234567", "Europe/Dublin", "+353871234567"),
    ("8613800138000", "Asia/Shanghai", "+8613800138000"),
    ("65123456", "Asia/Singapore", "+6565123456"),        # eight digits: a local number that starts like the code
    ("00 44 7700 900123", "Asia/Shanghai", "+447700900123"),
    ("(0)20.7946-0000", "Europe/London", "+442079460000"),
])
def test_more_ways_phone_numbers_are_typed(typed, zone, expected):
    assert contacts.normalise_phone(typed, zone) == expected


@pytest.mark.parametrize("typed", ["12345", "1" * 21, "+", "138-0013-800x", "++8613800138000", None])
def test_what_is_not_6_to_20_digits_is_not_a_phone_number(typed):
    with pytest.raises(contacts.NotAContact, match="not a phone number"):
        contacts.normalise_phone(typed, "Asia/Shanghai")


def test_an_email_address_of_254_characters_is_taken_and_255_refused():
    longest = "a" * 64 + "@" + "b" * 185 + ".com"
    assert len(longest) == 254 and contacts.parse(longest) == contacts.Contact("email", longest)
    with pytest.raises(contacts.NotAContact, match="not an e-mail address"):
        contacts.parse("a" * 64 + "@" + "b" * 186 + ".com")
    with pytest.raises(contacts.NotAContact, match="not an e-mail address"):
        contacts.parse("a" * 65 + "@example.com")


def test_a_tickets_findable_contacts_are_its_phone_and_email_when_they_read_as_such():
    assert contacts.contacts_of({"phone": "138 0013 8000", "email": "Li@Example.com"}, "Asia/Shanghai") == [
        PHONE, contacts.Contact("email", "li@example.com")]
    assert contacts.contacts_of({"phone": "call me", "email": None}, "Asia/Shanghai") == []
    assert contacts.contacts_of({}, "UTC") == []
    assert contacts.try_parse(None, "UTC") is None
    assert contacts.try_parse("13800138000", "Asia/Shanghai") == PHONE


@pytest.mark.parametrize("value, masked", [
    ("+85298765432", "987*5432"), ("+6591234567", "912*4567"), ("+8612345", "8612345"),
    ("123456", "****56"), ("12345", "***45"), ("1234567", "1234567"), ("12345678", "123*5678"),
    ("+353871234567", "871**4567"), ("x@example.com", "x***@example.com"),
])
def test_more_masks(value, masked):
    assert contacts.mask(value) == masked


def test_the_digest_is_the_stated_hmac_with_the_default_pepper_when_none_is_set():
    expected = spec_hmac(b"pepper", "T1|+8613800138000")[:40]
    assert contacts.digest("T1", PHONE, "pepper") == expected
    assert contacts.digest("T1", PHONE, b"pepper") == expected
    default = spec_hmac(b"propdesk-contacts-v1", "T1|+8613800138000")[:40]
    assert contacts.digest("T1", PHONE) == default and contacts.digest("T1", PHONE, "") == default


def test_a_sealed_link_is_the_token_xor_the_stated_hmac_stream():
    token = "A" * 40
    stream = (hmac.new(b"p", b"seal|T1|+8613800138000|K1|0", hashlib.sha256).digest()
              + hmac.new(b"p", b"seal|T1|+8613800138000|K1|1", hashlib.sha256).digest())
    expected = bytes(a ^ b for a, b in zip(token.encode(), stream)).hex()
    assert contacts.seal(token, "T1", PHONE, "K1", "p") == expected
    assert contacts.unseal(expected, "T1", PHONE, "K1", "p") == token
    assert contacts.seal("", "T1", PHONE, "K1", "p") == ""
    # longer than two blocks: the third block of the stream is numbered 2
    long_token = "B" * 80
    stream += hmac.new(b"p", b"seal|T1|+8613800138000|K1|2", hashlib.sha256).digest()
    assert contacts.seal(long_token, "T1", PHONE, "K1", "p") == \
        bytes(a ^ b for a, b in zip(long_token.encode(), stream)).hex()


def test_a_sealed_link_that_is_not_hex_or_not_text_opens_to_nothing():
    assert contacts.unseal("not hex", "T1", PHONE, "K1", "p") is None
    stream = hmac.new(b"p", b"seal|T1|+8613800138000|K1|0", hashlib.sha256).digest()
    not_ascii = bytes(0x80 ^ b for b in stream[:4]).hex()  # unseals to four bytes of 0x80
    assert contacts.unseal(not_ascii, "T1", PHONE, "K1", "p") is None


def test_a_code_is_kept_as_the_stated_hmac_of_its_salt_and_digits():
    assert contacts.code_hash("123456", "s1", "p") == spec_hmac(b"p", "s1|123456")
    issued = contacts.new_code(datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc))
    assert issued.code_hash == spec_hmac(b"propdesk-contacts-v1", f"{issued.salt}|{issued.code}")
    assert len(issued.salt) == 32 and issued.expires_at == datetime(2026, 12, 4, 9, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("typed", [None, "", "1234567", "12345a", "１２３４５６"])
def test_a_typed_code_that_is_not_six_digits_never_matches(typed):
    assert not contacts.code_matches(typed, "s1", spec_hmac(b"p", f"s1|{typed}"), "p")


def test_a_typed_code_matches_its_stored_hash():
    assert contacts.code_matches("123456", "s1", spec_hmac(b"p", "s1|123456"), "p")
    assert contacts.code_matches("123456", "s1", spec_hmac(b"propdesk-contacts-v1", "s1|123456"))


def test_the_code_message_in_each_language_word_for_word():
    assert contacts.code_text("zh-CN", "绿园物业", "123456") == (
        "绿园物业：查询报修的验证码", "【绿园物业】验证码 123456，用于查看您的报修记录，10分钟内有效。如非本人操作请忽略。")
    assert contacts.code_text("en", "Green Court", "654321") == (
        "Green Court: your code to find your reports",
        "Green Court: your code is 654321. Use it within 10 minutes to see your reports. Not you? Ignore this message.")
    assert contacts.code_text("fr", "X", "1")[0] == "X: your code to find your reports"


def test_codes_are_drawn_from_all_million_six_digit_numbers():
    # 300 codes from 000000-999999: none longer than six digits, and (with certainty short of
    # a 1 in 10^1200 chance) not all of them below 000060
    now = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    codes = [contacts.new_code(now, "p").code for _ in range(300)]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert max(int(code) for code in codes) >= 60

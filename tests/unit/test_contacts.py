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

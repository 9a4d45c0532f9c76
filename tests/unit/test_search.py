"""Reading what staff type to find a ticket (pure rules): a number, a unit, or the last
four digits of a phone; anything else is refused naming the field."""

import pytest

from chalicelib.domain import search
from chalicelib.domain.errors import InvalidInput


@pytest.mark.parametrize("way, typed, key", [
    ("number", "#1024", "1024"), ("number", " 0042 ", "42"), ("unit", "1203", "1203"),
    ("unit", "b-2 / 301", "B-2/301"), ("phone", "8000", "8000"),
])
def test_what_was_typed_becomes_one_key(way, typed, key):
    assert search.parse(way, typed) == search.Search(way, key)


@pytest.mark.parametrize("way, typed, field", [
    ("number", "12a", "q"), ("number", "", "q"), ("unit", "#$%", "q"), ("phone", "800", "q"),
    ("phone", "12345", "q"), ("phone", "12 4", "q"), ("name", "Li Na", "by"),
])
def test_anything_else_is_refused_naming_the_field(way, typed, field):
    with pytest.raises(InvalidInput) as refused:
        search.parse(way, typed)
    assert list(refused.value.fields) == [field]


@pytest.mark.parametrize("phone, last4", [("+86 138 0013 8000", "8000"), ("020-1234-5678", "5678"),
                                          ("123", None), (None, None), ("", None)])
def test_the_last_four_digits_of_a_phone_as_typed(phone, last4):
    assert search.phone_last4(phone) == last4


@pytest.mark.parametrize("way, typed, message, reason", [
    ("number", "abc", "Type a ticket number.", "must be a ticket number, like 1024"),
    ("number", "1234567890", "Type a ticket number.", "must be a ticket number, like 1024"),
    ("unit", "", "Type a unit.", "must be a unit code, like 1203"),
    ("unit", "-12", "Type a unit.", "must be a unit code, like 1203"),
    ("phone", "abcd", "Type four digits.", "must be the last 4 digits of a phone number"),
    ("email", "8000", "Choose how to search.", "must be one of: number, unit, phone"),
])
def test_a_refusal_tells_the_desk_what_to_type(way, typed, message, reason):
    with pytest.raises(InvalidInput) as refused:
        search.parse(way, typed)
    assert refused.value.message == message
    field = "by" if way not in ("number", "unit", "phone") else "q"
    assert refused.value.fields == {field: reason}


@pytest.mark.parametrize("way, typed, key", [
    ("number", "# 7", "7"), ("number", "999999999", "999999999"), ("number", None, None),
    ("unit", " 12a ", "12A"), ("phone", " 0042 ", "0042"),
])
def test_the_ends_of_what_may_be_typed(way, typed, key):
    if key is None:
        with pytest.raises(InvalidInput):
            search.parse(way, typed)
    else:
        assert search.parse(way, typed) == search.Search(way, key)


def test_a_phone_of_exactly_four_digits_is_its_own_last_four():
    assert search.phone_last4("8-000") == "8000"
    assert search.phone_last4("12 3") is None

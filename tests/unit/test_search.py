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

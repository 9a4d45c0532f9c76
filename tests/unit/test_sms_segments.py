"""How many SMS a text costs: 160 GSM-7 septets or 70 UCS-2 units in one message,
153 / 67 per part beyond that. Every expected count below is worked out by hand."""

import pytest

from chalicelib.domain.sms import sms_encoding, sms_segments, sms_units


@pytest.mark.parametrize("text, segments", [
    ("", 1),
    ("a", 1),
    ("a" * 160, 1),  # exactly one GSM-7 message
    ("a" * 161, 2),  # 161 > 160: split into parts of 153
    ("a" * 306, 2),  # 2 × 153
    ("a" * 307, 3),
    ("a" * 459, 3),  # 3 × 153
    ("a" * 460, 4),
])
def test_plain_gsm7_text_fits_160_then_153_per_part(text, segments):
    assert sms_encoding(text) == "GSM-7"
    assert sms_segments(text) == segments


@pytest.mark.parametrize("text, segments", [
    ("报", 1),
    ("报" * 70, 1),  # exactly one UCS-2 message
    ("报" * 71, 2),  # split into parts of 67
    ("报" * 134, 2),  # 2 × 67
    ("报" * 135, 3),
    ("a" * 69 + "报", 1),  # one Chinese character makes the whole text UCS-2: 70 units
    ("a" * 70 + "报", 2),  # 71 units
])
def test_any_chinese_character_makes_the_text_ucs2_with_70_then_67(text, segments):
    assert sms_encoding(text) == "UCS-2"
    assert sms_segments(text) == segments


def test_characters_outside_gsm_turn_a_latin_text_into_ucs2():
    # Ç is in the GSM alphabet, ç is not; a curly apostrophe is not either.
    assert sms_segments("Ç" + "a" * 159) == 1
    assert sms_segments("ç" + "a" * 159) == 3  # 160 UCS-2 units: 67 + 67 + 26
    assert sms_encoding("It’s fixed") == "UCS-2"
    assert sms_encoding("It's fixed") == "GSM-7"


def test_extension_characters_count_two_septets_and_are_never_split():
    assert sms_units("€") == 2 and sms_encoding("€[]{}") == "GSM-7"
    assert sms_segments("€" * 80) == 1  # 160 septets
    assert sms_segments("€" * 81) == 2  # 162 septets: 76 euro signs (152) per part
    assert sms_segments("a" * 159 + "^") == 2  # 161 septets
    # 306 septets would be 2 × 153, but the euro sign cannot start in part 1's last septet:
    # part 1 = 152 a (the € does not fit in the one septet left), part 2 = € + 151 a, part 3 = 1 a.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == 3


def test_emoji_are_surrogate_pairs_counted_two_and_never_split():
    assert sms_units("😀") == 2
    assert sms_segments("😀" * 35) == 1  # 70 units
    assert sms_segments("😀" * 36) == 2  # 72 units
    # 134 units would be 2 × 67, but the pair cannot straddle parts: 66 | 😀 + 65 | 1.
    assert sms_segments("a" * 66 + "😀" + "a" * 66) == 3


def test_a_typical_chinese_notification_with_its_signature():
    text = "【绿苑物业】工单 1042（维修，3-2-501）的首次响应须在 11月24日 14:30 前完成，目前尚未完成，请尽快处理。"
    assert len(text) == 63 and sms_segments(text) == 1  # 6 + 57, counted character by character
    assert sms_segments(text + "查看：https://t.example/abc") == 2  # 63 + 24 = 87 units


@pytest.mark.parametrize("text, units", [
    ("\uffff", 1),         # the last code point of the Basic Multilingual Plane: one UTF-16 unit
    ("\U00010000", 2),     # the first outside it: a surrogate pair
    ("报\uffff", 2),
    ("报\U00010000", 3),
])
def test_the_bmp_boundary_decides_one_or_two_ucs2_units(text, units):
    assert sms_encoding(text) == "UCS-2" and sms_units(text) == units

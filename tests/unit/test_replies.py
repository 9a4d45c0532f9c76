"""Canned replies (标准话术): what an admin may save, which replies a ticket's step offers,
and how placeholders are filled (pure rules; expected texts written out by hand)."""

import pytest

from chalicelib.domain import replies
from chalicelib.domain.errors import InvalidInput

CATEGORIES = ["repairs", "noise"]
LIFT = {"key": "r1", "category": "repairs", "step": "resolve",
        "text": {"zh-CN": "{resident}您好，{technician}已修好，工单 {number}。",
                 "en": "Dear {resident}, {technician} fixed it (ticket {number})."}}
ANY = {"key": "r2", "category": "*", "step": "resolve",
       "text": {"zh-CN": "已处理完毕。", "en": "All done."}}
VISIT = {"key": "r3", "category": "*", "step": "wait",
         "text": {"zh-CN": "我们将于 {visit} 上门，方便吗？", "en": "We will come at {visit}; is that all right?"}}


def test_a_step_offers_the_categorys_own_replies_first_then_those_for_every_category():
    saved = replies.check([ANY, LIFT, VISIT], CATEGORIES)
    assert [r["key"] for r in replies.for_step(saved, "repairs", "resolve")] == ["r1", "r2"]
    assert [r["key"] for r in replies.for_step(saved, "noise", "resolve")] == ["r2"]
    assert [r["key"] for r in replies.for_step(saved, "noise", "comment")] == []


def test_placeholders_are_filled_and_missing_values_read_as_words_of_the_language():
    assert replies.fill(LIFT["text"]["en"], "en", resident="Li Na", technician="Wang Wei", number=42) == \
        "Dear Li Na, Wang Wei fixed it (ticket 42)."
    assert replies.fill(LIFT["text"]["zh-CN"], "zh-CN", number=42) == "住户您好，工作人员已修好，工单 42。"
    assert replies.fill(VISIT["text"]["en"], "en") == "We will come at to be arranged; is that all right?"


@pytest.mark.parametrize("change, field", [
    ({"category": "gas"}, "replies[0].category"),
    ({"step": "close"}, "replies[0].step"),
    ({"text": {"zh-CN": "好的", "en": ""}}, "replies[0].text.en"),
    ({"text": {"zh-CN": "{name}您好", "en": "Hello"}}, "replies[0].text.zh-CN"),
    ({"text": {"zh-CN": "好的", "en": "Hello {resident"}}, "replies[0].text.en"),
])
def test_a_reply_that_could_show_a_code_or_miss_a_language_is_refused_naming_its_place(change, field):
    with pytest.raises(InvalidInput) as refused:
        replies.check([{**LIFT, **change}], CATEGORIES)
    assert field in refused.value.fields

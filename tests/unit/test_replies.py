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


def refused(saved) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as problem:
        replies.check(saved, CATEGORIES)
    return problem.value.message, problem.value.fields


def test_replies_are_saved_trimmed_with_a_key_for_each_that_has_none():
    saved = replies.check([{"category": "noise", "step": "comment", "text": {"zh-CN": " 收到 ", "en": " Noted \n"}},
                           {**ANY, "key": 7}], CATEGORIES)
    assert saved == [{"key": "r1", "category": "noise", "step": "comment", "text": {"zh-CN": "收到", "en": "Noted"}},
                     {"key": "7", "category": "*", "step": "resolve", "text": {"zh-CN": "已处理完毕。", "en": "All done."}}]
    assert replies.check([], CATEGORIES) == []


def test_what_is_not_a_list_of_replies_is_refused():
    assert refused({"replies": []}) == ("The replies must be a list.", {"replies": "must be a list"})
    assert refused([ANY, "text"])[1] == {"replies[1]": "must be a mapping"}
    # a reply that is not a mapping does not stop the check of those after it
    assert refused(["text", {**ANY, "step": "close"}])[1] == {
        "replies[0]": "must be a mapping", "replies[1].step": "must be one of: comment, wait, resolve"}


def test_at_most_200_replies_are_kept():
    assert len(replies.check([ANY] * 200, CATEGORIES)) == 200
    assert refused([ANY] * 201) == ("Too many replies.", {"replies": "must be at most 200"})


def test_each_refusal_of_a_reply_gives_its_reason():
    bad = {"key": "x", "category": "gas", "step": "close", "text": "hello"}
    assert refused([bad]) == ("Some replies need attention; nothing was saved.", {
        "replies[0].category": "must be one of the firm's categories, or * for every category",
        "replies[0].step": "must be one of: comment, wait, resolve",
        "replies[0].text.zh-CN": "write the reply in this language",
        "replies[0].text.en": "write the reply in this language"})


def test_a_reply_of_2000_characters_is_kept_and_2001_refused():
    assert replies.check([{**ANY, "text": {"zh-CN": "好" * 2000, "en": "a"}}], CATEGORIES)[0]["text"]["zh-CN"] == "好" * 2000
    assert refused([{**ANY, "text": {"zh-CN": "好", "en": "a" * 2001}}])[1] == {
        "replies[0].text.en": "must be at most 2000 characters"}


@pytest.mark.parametrize("words", ["Hi {name}", "Hi resident}", "{{resident}", "Hi {}"])
def test_a_placeholder_we_do_not_fill_is_refused_listing_those_we_do(words):
    assert refused([{**ANY, "text": {"zh-CN": "好", "en": words}}])[1] == {
        "replies[0].text.en": "placeholders must be one of: {resident}, {visit}, {technician}, {number}"}


def test_every_placeholder_we_fill_is_accepted():
    words = "{resident} {visit} {technician} {number}"
    assert replies.check([{**ANY, "text": {"zh-CN": words, "en": words}}], CATEGORIES)[0]["text"]["en"] == words


def test_an_unknown_language_is_filled_with_english_words_and_a_missing_number_with_nothing():
    assert replies.fill("{resident}/{visit}/{technician}/{number}", "fr") == "resident/to be arranged/our staff/"
    assert replies.fill("{visit} {number}", "zh-CN", visit_time="周六 9:00", number=7) == "周六 9:00 7"
    assert replies.fill("{other}", "en") == "{other}"

"""The published scorecard's plain sentences: a share's count in words with the right number
and plural (hand-worked cases), durations as people say them, the trend's direction."""

from __future__ import annotations

import pytest

from chalicelib.api import scorecard
from chalicelib.web import figures


def score(k: int, n: int, too_few: bool = False) -> dict:
    return {"value": 100 * k / n if n else None, "n": n, "low": None, "high": None, "too_few": too_few, "unit": "%"}


@pytest.mark.parametrize("k, n, words", [
    (1, 1, ("one_yes", 1)), (0, 1, ("one_no", 0)), (0, 7, ("none", 0)), (7, 7, ("all", 7)),
    (4, 6, ("exact", 4)), (10, 12, ("ten", 8)),  # 83.3 % -> 8 in 10
    (11, 12, ("ten", 9)), (1, 40, ("under", 1)),  # 2.5 % rounds to 0: "fewer than 1 in 10"
    (39, 40, ("over", 9)),  # 97.5 % rounds to 10, yet one was not: "more than 9 in 10"
    (3, 20, ("ten", 2)),  # 15 % rounds half up to 2
    (1, 10, ("ten", 1)),
])
def test_a_share_reads_as_a_count_or_in_tens(k, n, words):
    assert figures.in_ten(k, n) == words


@pytest.mark.parametrize("k, n, sentence", [
    (10, 12, "About 8 in 10 residents who rated our service after a report were satisfied."),
    (1, 10, "About 1 in 10 residents who rated our service after a report was satisfied."),
    (1, 6, "1 of the 6 residents who rated our service after a report was satisfied."),
    (4, 6, "4 of the 6 residents who rated our service after a report were satisfied."),
    (1, 1, "The one resident who rated our service after a report was satisfied."),
    (6, 6, "All 6 residents who rated our service after a report were satisfied."),
    (0, 0, "No resident rated our service after a report in this period."),
])
def test_the_satisfaction_sentence_agrees_in_number(k, n, sentence):
    assert scorecard.sentence("csat", score(k, n), lambda m: m) == sentence


def test_below_the_minimum_the_sentence_gives_no_figure():
    assert scorecard.sentence("sla_resolution", score(3, 4, too_few=True), lambda m: m) == \
        "We finished too few reports to give a figure (4)."


def test_the_trend_compares_the_figures_as_shown():
    now, then = score(83, 100), score(60, 100)
    assert scorecard.trend(now, then, "May 2026", "en", lambda m: m) == "Up from 60% in May 2026."
    assert scorecard.trend(then, now, "May 2026", "en", lambda m: m) == "Down from 83% in May 2026."
    assert scorecard.trend(score(601, 1000), then, "May 2026", "en", lambda m: m) == \
        "The same as in May 2026 (60%)."
    assert scorecard.trend(now, score(1, 2, too_few=True), "May 2026", "en", lambda m: m) == ""


@pytest.mark.parametrize("text, en, zh", [
    ("2h", "2 hours", "2 小时"), ("1h", "1 hour", "1 小时"), ("24h", "24 hours", "24 小时"),
    ("30m", "30 minutes", "30 分钟"), ("7d", "7 days", "7 天"), ("150m", "2.5 hours", "2.5 小时"),
    ("10 working days", "10 working days", "10 个工作日"), ("1 working day", "1 working day", "1 个工作日"),
    ("4 business hours", "4 business hours", "4 个工作小时"), (None, "—", "—"), ("soon", "—", "—"),
])
def test_durations_read_as_people_say_them(text, en, zh):
    assert (figures.duration_words(text, "en"), figures.duration_words(text, "zh-CN")) == (en, zh)


def test_a_category_without_its_own_target_has_the_catch_all_promise():
    from chalicelib.services.scorecard import promise_for
    promised = [{"category": "*", "priority": "*", "first_response": "24h", "resolution": "30 working days"},
                {"category": "*", "priority": "urgent", "first_response": "4h", "resolution": "7 working days"},
                {"category": "water_leak", "priority": "*", "first_response": "30m", "resolution": "24h"}]
    assert promise_for(promised, "repairs") == {"first_response": "24h", "resolution": "30 working days"}
    assert promise_for(promised, "water_leak") == {"first_response": "30m", "resolution": "24h"}

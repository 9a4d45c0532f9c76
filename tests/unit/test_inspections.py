"""Monthly quality inspections: what a checklist and an inspection must hold, and the
roll-up sums (pure rules; every expected figure counted by hand from the fixtures)."""

import pytest

from chalicelib.domain import inspections as rules
from chalicelib.domain.errors import InvalidInput


def named(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


# Two areas: cleanliness with 3 items, communal facilities with 2 (5 items in all).
CHECKLIST = rules.check_checklist({"areas": [
    {"key": "sanitation", "name": named("环境卫生", "Cleanliness"), "items": [
        {"key": "lobby", "name": named("大堂", "Lobby")},
        {"key": "stairs", "name": named("楼梯", "Stairs")},
        {"key": "bins", "name": named("垃圾桶", "Bins")}]},
    {"key": "facilities", "name": named("公共设施", "Communal facilities"), "items": [
        {"key": "lights", "name": named("照明", "Lights")},
        {"key": "lifts", "name": named("电梯", "Lifts")}]},
]})


def passed() -> dict:
    return {"passed": True}


def failed(note: str = "broken") -> dict:
    return {"passed": False, "note": note}


def test_the_starter_checklist_has_the_seeds_four_areas_in_both_languages():
    checked = rules.check_checklist(rules.STARTER)
    assert [a["name"]["zh-CN"] for a in checked["areas"]] == ["环境卫生", "绿化", "公共设施", "服务态度"]
    assert all(a["name"]["en"] for a in checked["areas"])


def test_a_checklist_names_each_problem_by_its_place():
    with pytest.raises(InvalidInput) as caught:
        rules.check_checklist({"areas": [
            {"key": "Bad Key", "name": named("卫生", ""), "items": [{"key": "a", "name": named("甲", "A")}]},
            {"key": "ok", "name": named("设施", "Facilities"), "items": []},
            {"key": "ok2", "name": named("其他", "Other"), "items": [{"key": "a", "name": named("乙", "B")}]},
        ]})
    assert caught.value.fields == {
        "areas[0].key": "must be 1-40 lower-case letters, digits or _, starting with a letter",
        "areas[0].name.en": "write the name in this language",
        "areas[1].items": "must be a list of at least one item",
        "areas[2].items[0].key": "is used twice",
    }


@pytest.mark.parametrize("document, field", [(None, "areas"), ({"areas": "x"}, "areas"), ({"areas": []}, "areas")])
def test_a_checklist_without_areas_is_refused(document, field):
    with pytest.raises(InvalidInput) as caught:
        rules.check_checklist(document)
    assert field in caught.value.fields


def test_an_inspection_must_give_every_item_a_result_and_a_note_for_each_failure():
    with pytest.raises(InvalidInput) as caught:
        rules.check_results(CHECKLIST, {"lobby": passed(), "stairs": {"passed": False}, "bins": {"passed": "yes"},
                                        "lights": passed(), "ghost": passed()})
    assert caught.value.fields == {
        "results.ghost": "is not an item of this property's checklist",
        "results.stairs.note": "say what is wrong with a failed item",
        "results.bins.passed": "must be true or false",
        "results.lifts": "needs a result: passed or failed",
    }


def test_results_are_kept_with_trimmed_notes():
    kept = rules.check_results(CHECKLIST, {"lobby": passed(), "stairs": failed("  wet  "), "bins": passed(),
                                           "lights": passed(), "lifts": passed()})
    assert kept["stairs"] == {"passed": False, "note": "wet", "photos": []}
    assert kept["lobby"] == {"passed": True, "note": "", "photos": []}


@pytest.mark.parametrize("month", ["M2026-13", "2026-11", "Q2026-4", "W2026-47", 202611, None])
def test_the_month_must_be_a_month(month):
    with pytest.raises(InvalidInput) as caught:
        rules.check_month(month)
    assert caught.value.fields == {"month": "must be a month like M2026-11"}


def test_roll_up_per_area_and_overall_match_a_hand_count():
    results = rules.check_results(CHECKLIST, {"lobby": passed(), "stairs": failed(), "bins": passed(),
                                              "lights": failed(), "lifts": failed()})
    areas = rules.by_area(CHECKLIST, results)
    # cleanliness: lobby, bins passed of 3; facilities: none of 2; overall 2 of 5
    assert areas == {"sanitation": rules.Tally(2, 3), "facilities": rules.Tally(0, 2)}
    assert rules.overall(areas) == rules.Tally(2, 5)
    assert rules.overall(areas).share == pytest.approx(0.4)
    assert rules.Tally(0, 0).share is None
    assert [i.key for i in rules.failed_items(CHECKLIST, results)] == ["stairs", "lights", "lifts"]


def test_contributions_land_in_the_month_and_its_quarter_for_firm_and_property():
    areas = {"sanitation": rules.Tally(2, 3), "facilities": rules.Tally(0, 2)}
    found = rules.contributions("p1", "M2026-11", areas)
    expected = {"insp_done": 1, "insp_n": 5, "insp_pass": 2, "insp.sanitation.n": 3, "insp.sanitation.pass": 2,
                "insp.facilities.n": 2, "insp.facilities.pass": 0}
    assert found == {("M2026-11", "all", "all"): expected, ("M2026-11", "property", "p1"): expected,
                     ("Q2026-4", "all", "all"): expected, ("Q2026-4", "property", "p1"): expected}


def test_a_changed_inspection_moves_only_the_difference():
    before = rules.contributions("p1", "M2026-11", {"sanitation": rules.Tally(2, 3)})
    after = rules.contributions("p1", "M2026-11", {"sanitation": rules.Tally(3, 3)})
    delta = rules.difference(after, before)
    assert delta == {key: {"insp_pass": 1, "insp.sanitation.pass": 1} for key in after}
    assert rules.difference(after, after) == {}


def test_a_month_of_two_properties_reads_back_from_summed_counters():
    # property p1: 2 of 3 cleanliness, 0 of 2 facilities; p2: 3 of 3 cleanliness, 2 of 2 facilities
    one = rules.contributions("p1", "M2026-11", {"sanitation": rules.Tally(2, 3), "facilities": rules.Tally(0, 2)})
    two = rules.contributions("p2", "M2026-11", {"sanitation": rules.Tally(3, 3), "facilities": rules.Tally(2, 2)})
    firm = rules.difference(one, {})[("M2026-11", "all", "all")]
    for name, n in two[("M2026-11", "all", "all")].items():
        firm[name] = firm.get(name, 0) + n
    total, areas = rules.from_counters({**firm, "tickets": 7, "csat_n": 2})
    assert total == rules.Tally(7, 10)
    assert areas == {"sanitation": rules.Tally(5, 6), "facilities": rules.Tally(2, 4)}


def test_the_scorecard_sentences_follow_the_firms_choice_and_the_readers_language():
    review = {"inspections": {"passed": 92, "items": 100, "areas": [
        {"key": "facilities", "name": named("公共设施", "Communal facilities"), "passed": 30, "items": 32},
        {"key": "area_x", "name": {}, "passed": 62, "items": 68}]}}  # an area without names is left out
    assert rules.scorecard_lines(review, "en", lambda text: text, publish=True) == [
        "Monthly inspections: 92 of 100 items passed", "Communal facilities: 30 of 32 items passed"]
    assert rules.scorecard_lines(review, "en", lambda text: text, publish=False) == []
    assert rules.scorecard_lines({"inspections": None}, "en", lambda text: text, publish=True) == []
    assert rules.scorecard_lines(None, "en", lambda text: text, publish=True) == []


def test_a_slice_without_inspections_has_no_summary():
    assert rules.summary({"tickets": 4}) is None
    assert rules.summary({"insp_done": 1, "insp_n": 2, "insp_pass": 1, "insp.service.n": 2, "insp.service.pass": 1},
                         {"service": named("服务态度", "Staff conduct")}) == {
        "inspections": 1, "passed": 1, "items": 2,
        "areas": [{"key": "service", "name": named("服务态度", "Staff conduct"), "passed": 1, "items": 2}]}


def test_a_note_that_is_not_text_is_named_as_such():
    with pytest.raises(InvalidInput) as caught:
        rules.check_results(CHECKLIST, {"lobby": {"passed": False, "note": 7}, "stairs": passed(), "bins": passed(),
                                        "lights": passed(), "lifts": passed()})
    assert caught.value.fields == {"results.lobby.note": "must be text"}


def test_hidden_characters_never_reach_a_name_or_a_note_but_chinese_does():
    checked = rules.check_checklist({"areas": [{"key": "a", "name": named("卫生\u202e", "Clean\x00"), "items": [
        {"key": "b", "name": named("大堂\u200b", "Lobby")}]}]})
    assert checked["areas"][0]["name"] == named("卫生", "Clean") and checked["areas"][0]["items"][0]["name"]["zh-CN"] == "大堂"
    kept = rules.check_results(checked, {"b": {"passed": False, "note": "电梯\u202e坏了\x1b[31m\n第二行"}})
    assert kept["b"]["note"] == "电梯坏了[31m\n第二行"
    with pytest.raises(InvalidInput) as caught:
        rules.check_results(checked, {"b": {"passed": False, "note": "\u200b\u202e"}})
    assert caught.value.fields == {"results.b.note": "say what is wrong with a failed item"}

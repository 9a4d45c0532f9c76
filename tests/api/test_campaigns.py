"""Satisfaction campaigns: one answer per unit, only while open, results by property and
building that equal a plain computation from the answers given."""

from __future__ import annotations

import json
import math
import statistics
from datetime import date, timedelta

import pytest

from tests.support import body

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Accept-Language": "en"}
DIMS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


def campaign(firm, **overrides) -> dict:
    today = date.today()
    data = {"name": "2026 Q4 satisfaction survey", "property_ids": [firm.property_id], "expectations": True,
            "opens_on": (today - timedelta(days=1)).isoformat(), "closes_on": (today + timedelta(days=20)).isoformat()}
    data.update(overrides)
    answer = firm.call("POST", "/api/campaigns", data)
    assert answer.status_code == 201, answer.body
    return body(answer)


def answer(firm, made: dict, unit: str, p: int, e: int | None, weights: dict | None = None, headers=None):
    data = {"place": f"{firm.property_id}:{firm.building_id}", "unit": unit}
    for d in DIMS:
        data[f"p_{d}"] = p
        if e is not None:
            data[f"e_{d}"] = e
    for d, w in (weights or {}).items():
        data[f"w_{d}"] = w
    return firm.client.http.post(f"/c/{firm.slug}/{made['id']}", headers=headers or JSON, body=json.dumps(data))


def test_results_equal_a_plain_computation_of_the_answers(client, firm):
    made = campaign(firm)
    assert made["link"].endswith(f"/c/{firm.slug}/{made['id']}")
    given = [(6, 7), (5, 7), (7, 6), (4, 6), (6, 5), (3, 7)]
    for i, (p, e) in enumerate(given):
        assert answer(firm, made, f"{1201 + i}", p, e).status_code == 201
    results = body(firm.call("GET", f"/api/campaigns/{made['id']}/results"))
    firm_scores = results["firm"]
    assert firm_scores["responses"] == len(given)
    gaps = [p - e for p, e in given]
    gap = firm_scores["servqual.reliability.gap"]
    assert gap["value"] == pytest.approx(statistics.mean(gaps)) and gap["n"] == 6
    half = 2.570581836 * statistics.stdev(gaps) / len(gaps) ** 0.5  # t(0.975, 5)
    assert gap["low"] == pytest.approx(statistics.mean(gaps) - half, rel=1e-6)
    index = statistics.mean((p - 1) / 6 * 100 for p, _ in given)
    assert firm_scores["satisfaction_index"]["value"] == pytest.approx(index, abs=0.01)
    assert results["properties"][0]["id"] == firm.property_id and results["buildings"][0]["id"] == firm.building_id
    assert results["buildings"][0]["servqual.empathy.p"]["value"] == pytest.approx(statistics.mean(p for p, _ in given))


def test_one_answer_per_unit(client, firm):
    made = campaign(firm)
    assert answer(firm, made, "1203", 6, 6).status_code == 201
    again = answer(firm, made, "1203", 1, 7)
    assert again.status_code == 409 and body(again)["error"]["fields"] == {"unit": "has already answered this survey"}
    form = f"lang=en&place={firm.property_id}:{firm.building_id}&unit=1203&" + "&".join(
        f"{part}_{d}=1" for d in DIMS for part in ("p", "e"))
    page = client.http.post(f"/c/{firm.slug}/{made['id']}", headers=FORM, body=form)
    assert page.status_code == 409 and "Your home has already answered this survey" in page.body.decode()
    results = body(firm.call("GET", f"/api/campaigns/{made['id']}/results"))
    assert results["firm"]["responses"] == 1 and results["firm"]["servqual.tangibles.p"]["value"] == 6


def test_a_closed_campaign_takes_no_answers(client, firm):
    past = date.today() - timedelta(days=40)
    made = campaign(firm, opens_on=past.isoformat(), closes_on=(past + timedelta(days=10)).isoformat())
    refused = answer(firm, made, "1203", 6, 6)
    assert refused.status_code == 410 and body(refused)["error"]["fields"] == {"campaign": "closed"}
    html = client.http.get(f"/c/{firm.slug}/{made['id']}?lang=en", headers={"Accept": "text/html"}).body.decode()
    assert "This survey has closed" in html and "campaign-form" not in html


def test_bad_answers_are_named_and_nothing_is_counted(client, firm):
    made = campaign(firm)
    form = (f"lang=en&place={firm.property_id}:{firm.building_id}&unit=1203&p_tangibles=9"
            "&w_tangibles=50&w_reliability=60&w_responsiveness=0&w_assurance=0&w_empathy=0")
    page = client.http.post(f"/c/{firm.slug}/{made['id']}", headers=FORM, body=form)
    assert page.status_code == 422
    html = page.body.decode()
    assert 'id="p_tangibles-error"' in html and 'id="e_empathy-error"' in html and 'id="w_tangibles-error"' in html
    assert 'value="1203"' in html  # what was typed is kept
    assert body(firm.call("GET", f"/api/campaigns/{made['id']}/results"))["firm"]["responses"] == 0
    bad = firm.call("POST", "/api/campaigns", {"name": "x", "property_ids": ["NOPE"], "opens_on": "2026-12-10",
                                               "closes_on": "2026-12-01"})
    assert bad.status_code == 422 and set(body(bad)["error"]["fields"]) >= {"closes_on"}


def test_importance_points_weigh_the_gap(client, firm):
    made = campaign(firm)
    weights = {"tangibles": 10, "reliability": 40, "responsiveness": 20, "assurance": 20, "empathy": 10}
    for i in range(3):
        assert answer(firm, made, f"{1101 + i}", 5, 7, weights).status_code == 201
    results = body(firm.call("GET", f"/api/campaigns/{made['id']}/results"))["firm"]
    assert results["importance"] == {d: float(w) for d, w in weights.items()}
    assert results["servqual.weighted_gap"]["value"] == pytest.approx(-2.0)


def test_another_firm_cannot_see_or_answer_a_campaign(client, firm, other_firm):
    made = campaign(firm)
    assert other_firm.call("GET", f"/api/campaigns/{made['id']}/results").status_code == 404
    assert client.http.get(f"/c/{other_firm.slug}/{made['id']}", headers={"Accept": "text/html"}).status_code == 404
    assert made["id"] not in json.dumps(body(other_firm.call("GET", "/api/campaigns")))
    poster = firm.call("GET", f"/api/campaigns/{made['id']}/poster.svg")
    assert poster.status_code == 200 and poster.headers["Content-Type"].startswith("image/svg+xml")
    assert f"/c/{firm.slug}/{made['id']}" in poster.body.decode()


# --- the full 22-item SERVQUAL questionnaire ------------------------------------------------

ITEMS = {"tangibles": (1, 2, 3, 4), "reliability": (5, 6, 7, 8, 9), "responsiveness": (10, 11, 12, 13),
         "assurance": (14, 15, 16, 17), "empathy": (18, 19, 20, 21, 22)}  # Parasuraman et al. 1991


def full_answer(firm, made: dict, unit: str, p: dict[int, int], e: dict[int, int] | None,
                weights: dict | None = None, headers=None):
    """One household's answer to the full form: ``p``/``e`` map item numbers to 1-7."""
    data = {"place": f"{firm.property_id}:{firm.building_id}", "unit": unit}
    data |= {f"p_{i}": v for i, v in p.items()} | {f"e_{i}": v for i, v in (e or {}).items()}
    data |= {f"w_{d}": w for d, w in (weights or {}).items()}
    return firm.client.http.post(f"/c/{firm.slug}/{made['id']}", headers=headers or JSON, body=json.dumps(data))


def expected_scores(households: list[tuple[dict, dict, dict | None]]) -> tuple[dict, dict]:
    """The scores computed plainly from the raw answers: each household's dimension score is
    the mean of its items; then mean and Student t 95 % interval across households; the
    weighted gap by the households' mean importance points, with the conservative interval
    (weighted sum of the dimensions' standard errors); the index 0-100 per household by its
    own points (equal without), averaged."""
    from scipy import stats
    n = len(households)
    t = stats.t.ppf(0.975, n - 1)
    dim = {d: {"p": [], "e": [], "gap": []} for d in ITEMS}
    indexes = []
    for p, e, weights in households:
        rescaled = {}
        for d, numbers in ITEMS.items():
            mp, me = statistics.mean(p[i] for i in numbers), statistics.mean(e[i] for i in numbers)
            dim[d]["p"].append(mp), dim[d]["e"].append(me), dim[d]["gap"].append(mp - me)
            rescaled[d] = (mp - 1) / 6 * 100
        w = weights or {d: 1 for d in ITEMS}
        indexes.append(sum(w[d] * rescaled[d] for d in ITEMS) / sum(w.values()))
    out = {}
    for d in ITEMS:
        for part, values in dim[d].items():
            mean, half = statistics.mean(values), t * statistics.stdev(values) / math.sqrt(n)
            out[f"servqual.{d}.{part}"] = (mean, mean - half, mean + half)
    given = [w for _, _, w in households if w]
    importance = {d: statistics.mean(w[d] for w in given) for d in ITEMS}
    total = sum(importance.values())
    gap = sum(importance[d] * statistics.mean(dim[d]["gap"]) for d in ITEMS) / total
    half = t * sum(importance[d] / total * statistics.stdev(dim[d]["gap"]) / math.sqrt(n) for d in ITEMS)
    out["servqual.weighted_gap"] = (gap, gap - half, gap + half)
    out["satisfaction_index"] = (statistics.mean(indexes), None, None)
    return out, importance


def test_an_admin_starts_a_full_form_campaign(client, firm):
    made = campaign(firm, form="full")
    assert made["form"] == "full" and made["items"] == 22 and made["expectations"] is True
    assert campaign(firm)["form"] == "short"  # the default is unchanged
    listed = {c["id"]: c for c in body(firm.call("GET", "/api/campaigns"))["campaigns"]}
    assert listed[made["id"]]["form"] == "full" and listed[made["id"]]["items"] == 22
    html = client.http.get(f"/c/{firm.slug}/{made['id']}?lang=en", headers={"Accept": "text/html"}).body.decode()
    assert html.count('<fieldset class="group" id="item-') == 22 and "<script" not in html
    headings = [html.find(f'<h2 id="dimension-{d}">') for d in ITEMS]  # grouped, in SERVQUAL's order
    assert -1 not in headings and headings == sorted(headings)
    assert all(html.find(f'id="item-{numbers[0]}"') > headings[k] for k, numbers in enumerate(ITEMS.values()))
    assert "<legend>2. The estate's facilities are well kept</legend>" in html and 'name="e_22"' in html
    assert len(html.encode()) < 60_000  # light: tens of kB
    zh = client.http.get(f"/c/{firm.slug}/{made['id']}?lang=zh-CN", headers={"Accept": "text/html"}).body.decode()
    assert "2. 小区设施维护良好" in zh and "说到做到" in zh
    bad = firm.call("POST", "/api/campaigns", {"name": "x", "property_ids": [firm.property_id], "form": "long",
                                               "opens_on": "2026-12-01", "closes_on": "2026-12-31"})
    assert bad.status_code == 422 and body(bad)["error"]["fields"] == {"form": "must be one of: short, full, tsm"}


def test_full_form_results_equal_a_plain_computation_of_the_answers(client, firm):
    import random
    made = campaign(firm, form="full")
    pick = random.Random(22)
    households = []
    for h in range(6):
        p = {i: pick.randint(1, 7) for i in range(1, 23)}
        e = {i: pick.randint(4, 7) for i in range(1, 23)}
        points = [pick.randint(5, 30) for _ in range(4)]
        weights = None if h == 2 else dict(zip(ITEMS, points + [100 - sum(points)]))
        households.append((p, e, weights))
        assert full_answer(firm, made, f"{2101 + h}", p, e, weights).status_code == 201
    expected, importance = expected_scores(households)
    results = body(firm.call("GET", f"/api/campaigns/{made['id']}/results"))
    assert results["form"] == "full"
    for scored in (results["firm"], results["properties"][0], results["buildings"][0]):
        assert scored["responses"] == 6
        assert scored["importance"] == pytest.approx(importance)
        for name, (value, low, high) in expected.items():
            got = scored[name]
            if name == "satisfaction_index":  # kept in hundredths of a point per household
                assert got["value"] == pytest.approx(value, abs=0.005) and got["n"] == 6
                continue
            assert got["n"] == 6 and got["too_few"] is False, name
            assert got["value"] == pytest.approx(value, abs=1e-9), name
            assert (got["low"], got["high"]) == (pytest.approx(low, abs=1e-6), pytest.approx(high, abs=1e-6)), name


def test_full_form_with_equal_items_scores_exactly_as_the_short_form(client, firm):
    short, full = campaign(firm), campaign(firm, form="full")
    given = [({"tangibles": 6, "reliability": 3, "responsiveness": 5, "assurance": 7, "empathy": 2},
              {"tangibles": 7, "reliability": 6, "responsiveness": 6, "assurance": 5, "empathy": 7},
              {"tangibles": 10, "reliability": 35, "responsiveness": 25, "assurance": 20, "empathy": 10}),
             ({"tangibles": 4, "reliability": 5, "responsiveness": 1, "assurance": 6, "empathy": 3},
              {"tangibles": 6, "reliability": 7, "responsiveness": 7, "assurance": 6, "empathy": 5}, None),
             ({"tangibles": 5, "reliability": 7, "responsiveness": 4, "assurance": 3, "empathy": 6},
              {"tangibles": 5, "reliability": 7, "responsiveness": 6, "assurance": 7, "empathy": 6},
              {"tangibles": 20, "reliability": 20, "responsiveness": 20, "assurance": 30, "empathy": 10})]
    for h, (p, e, weights) in enumerate(given):
        data = {"place": f"{firm.property_id}:{firm.building_id}", "unit": f"{3101 + h}"}
        data |= {f"p_{d}": v for d, v in p.items()} | {f"e_{d}": v for d, v in e.items()}
        data |= {f"w_{d}": w for d, w in (weights or {}).items()}
        assert client.http.post(f"/c/{firm.slug}/{short['id']}", headers=JSON, body=json.dumps(data)).status_code == 201
        assert full_answer(firm, full, f"{3101 + h}", {i: p[d] for d, ns in ITEMS.items() for i in ns},
                           {i: e[d] for d, ns in ITEMS.items() for i in ns}, weights).status_code == 201
    as_short = body(firm.call("GET", f"/api/campaigns/{short['id']}/results"))
    as_full = body(firm.call("GET", f"/api/campaigns/{full['id']}/results"))
    for part in ("firm", "properties", "buildings"):
        assert as_full[part] == as_short[part]  # exactly: every value, n and interval


def test_a_missing_item_is_named_beside_it_and_nothing_is_stored(client, firm):
    made = campaign(firm, form="full")
    p = {i: 5 for i in range(1, 23)}
    e = {i: 6 for i in range(1, 23)}
    del p[7]
    form = (f"lang=en&place={firm.property_id}:{firm.building_id}&unit=1701&"
            + "&".join(f"p_{i}={v}" for i, v in p.items()) + "&" + "&".join(f"e_{i}={v}" for i, v in e.items()))
    page = client.http.post(f"/c/{firm.slug}/{made['id']}", headers=FORM, body=form)
    assert page.status_code == 422
    html = page.body.decode()
    assert html.count('class="error" id="') == 1 and 'id="p_7-error"' in html
    assert ('<a href="#p_7">7. Repairs and services are done right the first time (Our property firm): '
            "Choose a number from 1 to 7</a>") in html
    assert 'id="p_8-5" value="5" checked' in html and 'id="e_7-6" value="6" checked' in html  # kept
    zh = client.http.post(f"/c/{firm.slug}/{made['id']}", headers={**FORM, "Accept-Language": "zh-CN"},
                          body=form.replace("lang=en", "lang=zh-CN")).body.decode()
    assert "7. 维修和服务一次就做好（我们的物业公司）：请选择 1 到 7 的数字" in zh
    refused = full_answer(firm, made, "1701", p, e)
    assert refused.status_code == 422 and body(refused)["error"]["fields"] == {"p_7": "is required"}
    assert body(firm.call("GET", f"/api/campaigns/{made['id']}/results"))["firm"]["responses"] == 0
    assert full_answer(firm, made, "1701", {**p, 7: 4}, e).status_code == 201  # the unit was not marked


def test_short_form_counts_as_the_after_resolution_survey_does():
    """The short form's counters are those of ``scores.response_contributions`` (unchanged)."""
    from datetime import datetime, timezone

    from chalicelib.domain import campaigns as rules
    from chalicelib.domain.scores import SurveyResponse, response_contributions
    short = rules.Campaign("C1", "Q4", ("P1",), True, True, date(2026, 12, 1), date(2026, 12, 31))
    for weights in (None, {"tangibles": 0, "reliability": 35, "responsiveness": 25, "assurance": 30, "empathy": 10}):
        form = {f"p_{d}": str(3 + i) for i, d in enumerate(DIMS)} | {f"e_{d}": str(7 - i) for i, d in enumerate(DIMS)}
        form |= {f"w_{d}": str(w) for d, w in (weights or {}).items()}
        answered = rules.parse_response(form, short)
        mine = rules.household_counters(short, answered)
        survey = SurveyResponse(at=datetime(2026, 12, 5, tzinfo=timezone.utc), servqual=answered["servqual"],
                                scale=rules.SCALE, weights=answered["weights"])
        theirs = response_contributions(survey, [("all", "all")], "Asia/Shanghai")[("M2026-12", "all", "all")]
        assert {k: v for k, v in mine.items() if not k.startswith("w")} == theirs
        assert rules.contributions(short, answered, "P1", "B1")[("CC1", "building", "B1")] == mine

"""Satisfaction campaigns: one answer per unit, only while open, results by property and
building that equal a plain computation from the answers given."""

from __future__ import annotations

import json
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

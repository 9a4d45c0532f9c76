"""The Tenant Satisfaction Measures return, end to end: a UK firm's year of repairs and
complaints and a TP survey answered by its households give a return (JSON and CSV) whose
figures equal an independent computation, done here from the raw answers and from the
tickets as staff read them (never from domain/tsm.py). And the edges: a bad year, another
firm's figures, the survey's questionnaire page."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from statsmodels.stats.proportion import proportion_confint

from chalicelib.domain.identity import Identity
from tests.support import Firm, body

LONDON = ZoneInfo("Europe/London")
YEAR = 2025  # 1 April 2025 - 31 March 2026
SATISFIED = ("very_satisfied", "fairly_satisfied", "neither", "fairly_dissatisfied", "very_dissatisfied")
AGREE = ("strongly_agree", "agree", "neither_agree", "disagree", "strongly_disagree")
FILTERED = {"tp02": "had_repair", "tp03": "had_repair", "tp09": "made_complaint", "tp10": "has_communal"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Accept-Language": "en"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(timezone.utc)


# (created, category, urgency, hours until resolved or None): a year of reports, two across
# its edges (one of the year before, one made in March and fixed in April of the next year).
TICKETS = [
    ("2025-04-03 10:00", "repairs", "emergency", 6),        # emergency, within 24 h
    ("2025-05-12 22:00", "repairs", "emergency", 30),       # emergency, late
    ("2025-06-02 09:30", "water_leak", "emergency", 20),    # emergency, within 24 h
    ("2025-07-14 11:00", "repairs", "routine", 72),         # routine: 20 working days
    ("2025-08-04 15:00", "repairs", "routine", 24 * 40),    # late
    ("2025-09-09 09:00", "damp_mould", "urgent", 48),       # urgent: 5 working days
    ("2025-10-20 14:00", "repairs", "urgent", 24 * 12),     # late
    ("2025-11-03 09:00", "repairs", "routine", None),       # not finished: not counted
    ("2026-03-30 10:00", "repairs", "routine", 24 * 6),     # finished 5 April 2026: next year
    ("2025-02-10 10:00", "repairs", "routine", 24),         # the year before
    ("2025-06-16 09:00", "complaint_stage1", "routine", 24 * 5),   # 10 working days: in time
    ("2025-07-01 09:00", "complaint_stage1", "routine", 24 * 30),  # late
    ("2025-12-01 09:00", "complaint_stage1", "routine", None),     # received, not answered
    ("2026-01-05 09:00", "complaint_stage2", "routine", 24 * 14),  # stage 2: 20 working days
    ("2026-02-02 09:00", "antisocial", "routine", 24),             # neither a repair nor a complaint
]

# Households' answers: filters, then options; omitted questions were not asked of them.
ANSWERS = [
    {"had_repair": "yes", "made_complaint": "no", "has_communal": "yes", "tp01": "very_satisfied",
     "tp02": "fairly_satisfied", "tp03": "fairly_dissatisfied", "tp04": "fairly_satisfied", "tp05": "very_satisfied",
     "tp06": "dont_know", "tp07": "fairly_satisfied", "tp08": "agree", "tp10": "neither", "tp11": "dont_know",
     "tp12": "dont_know"},
    {"had_repair": "no", "made_complaint": "no", "has_communal": "no", "tp01": "fairly_satisfied",
     "tp04": "neither", "tp05": "fairly_satisfied", "tp06": "fairly_dissatisfied", "tp07": "very_satisfied",
     "tp08": "strongly_agree", "tp11": "fairly_satisfied", "tp12": "dont_know"},
    {"had_repair": "yes", "made_complaint": "yes", "has_communal": "yes", "tp01": "very_dissatisfied",
     "tp02": "very_dissatisfied", "tp03": "very_dissatisfied", "tp04": "fairly_dissatisfied",
     "tp05": "neither", "tp06": "very_dissatisfied", "tp07": "fairly_dissatisfied", "tp08": "disagree",
     "tp09": "very_dissatisfied", "tp10": "fairly_dissatisfied", "tp11": "neither", "tp12": "fairly_dissatisfied"},
    {"had_repair": "yes", "made_complaint": "yes", "has_communal": "yes", "tp01": "fairly_satisfied",
     "tp02": "very_satisfied", "tp03": "fairly_satisfied", "tp04": "very_satisfied", "tp05": "very_satisfied",
     "tp06": "fairly_satisfied", "tp07": "fairly_satisfied", "tp08": "strongly_agree", "tp09": "fairly_satisfied",
     "tp10": "very_satisfied", "tp11": "very_satisfied", "tp12": "very_satisfied"},
    {"had_repair": "yes", "made_complaint": "no", "has_communal": "no", "tp01": "neither",
     "tp02": "fairly_satisfied", "tp03": "neither", "tp04": "fairly_satisfied", "tp05": "fairly_dissatisfied",
     "tp06": "neither", "tp07": "dont_know", "tp08": "neither_agree", "tp11": "dont_know", "tp12": "neither"},
    {"had_repair": "no", "made_complaint": "no", "has_communal": "yes", "tp01": "very_satisfied",
     "tp04": "very_satisfied", "tp05": "very_satisfied", "tp06": "very_satisfied", "tp07": "very_satisfied",
     "tp08": "strongly_agree", "tp10": "fairly_satisfied", "tp11": "fairly_satisfied", "tp12": "dont_know",
     "tp02": "very_dissatisfied"},  # a TP02 answer from a household without a repair is not counted
]


def admin_of(firm: Firm) -> Identity:
    return Identity(firm.tenant_id, firm.admin_sub, "admin", "Ada Admin")


def make_year(firm: Firm) -> list[dict]:
    """Log TICKETS at their times and resolve them; the tickets as staff then read them."""
    from chalicelib.services import tickets as service
    who, made = admin_of(firm), []
    for created, category, urgency, hours in TICKETS:
        report = firm.report(category=category, urgency=urgency, description=f"{category} on {created}")
        ticket = service.create_by_staff(who, report, now=at(created))
        if hours is not None:
            service.record_event(who, ticket["id"], {"type": "resolve", "note": "Done"}, f'"{ticket["version"]}"',
                                 now=at(created) + timedelta(hours=hours))
        made.append(body(firm.call("GET", f"/api/tickets/{ticket['id']}")))
    return made


def answer_survey(firm: Firm) -> dict:
    from chalicelib.services import campaigns
    made = body(firm.call("POST", "/api/campaigns", {"name": "Tenant survey 2025", "property_ids": [firm.property_id],
                                                     "form": "tsm", "opens_on": "2025-10-01",
                                                     "closes_on": "2025-10-31"}))
    for i, answer in enumerate(ANSWERS):
        campaigns.answer(firm.slug, made["id"], {"place": f"{firm.property_id}:{firm.building_id}",
                                                 "unit": f"{101 + i}", **answer}, at("2025-10-10 12:00"))
    return made


@pytest.fixture(scope="module")
def uk_firm(client):
    firm = Firm.sign_up(client, time_zone="Europe/London", template="uk-social-housing")
    extra = "building,unit\n" + "".join(f"Block 3,{101 + i}\n" for i in range(8))  # 10 homes in all
    imported = firm.call("POST", f"/api/properties/{firm.property_id}/units/import", extra,
                         **{"Content-Type": "text/csv"})
    assert imported.status_code in (200, 201), imported.body
    firm.tickets = make_year(firm)
    firm.campaign = answer_survey(firm)
    return firm


# --- the independent computation ----------------------------------------------------------

def parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None


def reporting_year(moment: datetime) -> int:
    local = moment.astimezone(LONDON)
    return local.year if local.month >= 4 else local.year - 1


def expected_perception(code: str) -> tuple[int, int, int]:
    """(satisfied, base, don't know) for a TP question, from ANSWERS."""
    field = code.lower()
    scale = AGREE if code == "TP08" else SATISFIED
    given = [a[field] for a in ANSWERS if field in a and a.get(FILTERED.get(field, ""), "yes") == "yes"]
    return (sum(1 for g in given if g in scale[:2]), sum(1 for g in given if g in scale),
            sum(1 for g in given if g == "dont_know"))


def expected_management(tickets: list[dict], year: int, homes: int) -> dict:
    """RP02, CH01, CH02 the plain way, from the tickets staff read."""
    out = {"em": [0, 0], "ne": [0, 0], "ch1": 0, "ch2": 0, "ans1": [0, 0], "ans2": [0, 0]}
    for t in tickets:
        done = parse(t["first_resolved_at"])
        kept = done is not None and done <= parse(t["first_resolution_due"])
        stage = {"complaint_stage1": 1, "complaint_stage2": 2}.get(t["category"])
        if stage:
            if reporting_year(parse(t["created_at"])) == year:
                out[f"ch{stage}"] += 1
            if done and reporting_year(done) == year:
                out[f"ans{stage}"][0] += 1
                out[f"ans{stage}"][1] += int(kept)
        elif t["category"] != "antisocial" and done and reporting_year(done) == year:
            kind = "em" if t["urgency"] == "emergency" else "ne"
            out[kind][0] += 1
            out[kind][1] += int(kept)
    return {("RP02", "emergency"): out["em"], ("RP02", "non_emergency"): out["ne"],
            ("CH01", "stage1"): out["ch1"] * 1000 / homes, ("CH01", "stage2"): out["ch2"] * 1000 / homes,
            ("CH02", "stage1"): out["ans1"], ("CH02", "stage2"): out["ans2"]}


def wilson(k: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return 100 * low, 100 * high


# --- the tests ------------------------------------------------------------------------------

def test_the_return_equals_an_independent_computation(uk_firm):
    answer = uk_firm.call("GET", f"/api/tsm/return?year={YEAR}")
    assert answer.status_code == 200, answer.body
    got = body(answer)
    assert (got["label"], got["from"], got["to"]) == ("2025/26", "2025-04-01", "2026-03-31")
    assert got["homes"] == 10 and got["respondents"] == len(ANSWERS)
    assert [s["name"] for s in got["surveys"]] == ["Tenant survey 2025"]
    rows = {(r["code"], r["part"]): r for r in got["rows"]}
    for n in range(1, 13):
        code = f"TP{n:02d}"
        satisfied, base, dont_know = expected_perception(code)
        row = rows[(code, "")]
        assert (row["n"], row["satisfied"], row["dont_know"]) == (base, satisfied, dont_know), code
        assert row["value"] == pytest.approx(100 * satisfied / base), code
        assert (row["low"], row["high"]) == tuple(pytest.approx(v) for v in wilson(satisfied, base)), code
    expected = expected_management(uk_firm.tickets, YEAR, homes=10)
    # the fixture has what it means to have: late and on-time repairs of both kinds
    assert expected[("RP02", "emergency")] == [3, 2] and expected[("RP02", "non_emergency")][0] >= 3
    for key, want in expected.items():
        row = rows[key]
        if key[0] == "CH01":
            assert row["value"] == pytest.approx(want), key
            continue
        n, met = want
        assert row["n"] == n and row["value"] == pytest.approx(100 * met / n), key
        assert (row["low"], row["high"]) == tuple(pytest.approx(v) for v in wilson(met, n)), key
    # the year before: one routine repair, on time
    assert rows[("RP02", "non_emergency")]["previous"] == pytest.approx(100.0)


def test_measures_propdesk_cannot_know_are_listed_as_not_held(uk_firm):
    rows = body(uk_firm.call("GET", f"/api/tsm/return?year={YEAR}"))["rows"]
    not_held = {r["code"] for r in rows if not r["held"]}
    assert {"BS01", "BS02", "BS03", "BS04", "BS05", "RP01", "NM01"} <= not_held


def test_the_csv_opens_in_excel_with_the_same_figures(uk_firm):
    answer = uk_firm.call("GET", f"/api/exports/tsm.csv?year={YEAR}")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    text = answer.body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    tp01 = next(r for r in rows if r["code"] == "TP01")
    satisfied, base, _ = expected_perception("TP01")
    assert tp01["value"] == f"{100 * satisfied / base:.1f}" and tp01["n"] == str(base)
    gas = next(r for r in rows if r["code"] == "BS01")
    assert gas["held"] == "no" and gas["value"] == ""


@pytest.mark.parametrize("year", ["26", "2026/27", "1999", "abcd", "20266"])
def test_a_bad_year_is_refused_naming_the_field(uk_firm, year):
    for path in ("/api/tsm/return", "/api/exports/tsm.csv"):
        answer = uk_firm.call("GET", f"{path}?year={year}")
        assert answer.status_code == 422, (path, answer.body)
        assert "year" in body(answer)["error"]["fields"]


def test_another_firm_sees_only_its_own_return(uk_firm, client):
    other = Firm.sign_up(client, time_zone="Europe/London", template="uk-social-housing")
    got = body(other.call("GET", f"/api/tsm/return?year={YEAR}"))
    assert got["respondents"] == 0 and got["homes"] == 2 and got["surveys"] == []
    assert all(r["n"] == 0 for r in got["rows"] if r["held"])
    assert other.call("GET", f"/api/campaigns/{uk_firm.campaign['id']}/results").status_code == 404


def test_the_campaigns_own_results_are_the_tp_measures(uk_firm):
    results = body(uk_firm.call("GET", f"/api/campaigns/{uk_firm.campaign['id']}/results"))
    assert results["form"] == "tsm" and results["firm"]["responses"] == len(ANSWERS)
    satisfied, base, _ = expected_perception("TP06")
    assert results["firm"]["TP06"]["n"] == base
    assert results["firm"]["TP06"]["value"] == pytest.approx(100 * satisfied / base)


def test_the_survey_page_asks_the_regulators_questions_and_names_what_is_missing(client, uk_firm):
    from datetime import date
    today = date.today()
    made = body(uk_firm.call("POST", "/api/campaigns", {
        "name": "Tenant survey", "property_ids": [uk_firm.property_id], "form": "tsm",
        "opens_on": (today - timedelta(days=1)).isoformat(), "closes_on": (today + timedelta(days=9)).isoformat()}))
    page = client.http.get(f"/c/{uk_firm.slug}/{made['id']}?lang=en", headers={"Accept": "text/html"}).body.decode()
    landlord = f"Firm {uk_firm.slug}"
    assert (f"Taking everything into account, how satisfied or dissatisfied are you with the service provided by "
            f"{landlord}?") in page
    assert "Not applicable / don&#39;t know" in page or "Not applicable / don't know" in page
    zh = client.http.get(f"/c/{uk_firm.slug}/{made['id']}?lang=zh-CN", headers={"Accept": "text/html"}).body.decode()
    assert f"综合考虑各方面，您对{landlord}提供的服务满意还是不满意？" in zh
    form = f"lang=en&place={uk_firm.property_id}:{uk_firm.building_id}&unit=501&had_repair=no&made_complaint=no"
    refused = client.http.post(f"/c/{uk_firm.slug}/{made['id']}", headers=FORM, body=form)
    text = refused.body.decode()
    assert refused.status_code == 422
    assert "Choose yes or no" in text and "Choose one answer" in text
    api = client.http.post(f"/c/{uk_firm.slug}/{made['id']}", headers={"Content-Type": "application/json"},
                           body=json.dumps({"place": f"{uk_firm.property_id}:{uk_firm.building_id}", "unit": "502",
                                            "had_repair": "no", "made_complaint": "no", "has_communal": "no"}))
    assert api.status_code == 422 and body(api)["error"]["fields"]["tp01"] == "is required"

"""Closed periods are frozen into reviews at the firm's local night; the published scorecard
shows the latest month and quarter, hides what has too few responses, names nobody, and
does not move when an old ticket changes later."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.support import body, unique

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = datetime(2027, 3, 10, 10, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
APRIL_NIGHT = datetime(2027, 4, 1, 2, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)


def march_tickets(firm, ratings: list[int]) -> list[tuple[str, str]]:
    """Reports in March 2027, each resolved two hours later and rated an hour after that."""
    from chalicelib.domain.identity import Identity
    from chalicelib.services import surveys, tickets
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    made = []
    for i, rating in enumerate(ratings):
        at = MARCH + timedelta(hours=i)
        answer, _ = tickets.submit_report(firm.slug, firm.report(
            description=unique("Secret-flat-details"), contact={"name": "Li Na", "phone": f"+86 139 1111 {1000 + i}"}),
            now=at)
        tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                   if t["number"] == answer["ticket"]["number"])
        tickets.record_event(admin, tid, {"type": "acknowledge"}, '"1"', now=at + timedelta(minutes=20))
        tickets.record_event(admin, tid, {"type": "resolve"}, '"2"', now=at + timedelta(hours=2))
        surveys.answer_by_tracking(answer["ticket"]["tracking_token"], {"rating": str(rating)},
                                   now=at + timedelta(hours=3))
        made.append((tid, answer["ticket"]["tracking_token"]))
    return made


def publish(firm, **survey) -> None:
    current = body(firm.call("GET", "/api/standards"))
    doc = copy.deepcopy(current["standards"])
    doc["survey"] = {**doc.get("survey", {}), **survey}
    saved = firm.call("PUT", "/api/standards", {"standards": doc}, **{"If-Match": f'"{current["version"]}"'})
    assert saved.status_code == 200, saved.body


def test_the_scorecard_shows_the_finalised_month_and_names_nobody(client, firm):
    from chalicelib.services import rollups
    from chalicelib.store import rollups as rollup_store
    march_tickets(firm, [5, 4, 4, 2, 5, 3])
    publish(firm, publish=True, publish_properties=[firm.property_id])
    unpublished_before = client.http.get(f"/p/{firm.slug}/scorecard", headers={"Accept-Language": "en"})
    assert "The first scorecard appears" in unpublished_before.body.decode()  # nothing finalised yet

    done = rollups.run(APRIL_NIGHT)
    assert "M2027-03" in done.periods_finalised and "Q2027-1" in done.periods_finalised
    assert rollups.run(APRIL_NIGHT + timedelta(minutes=30)).periods_finalised == []  # once a night, once a period

    page = client.http.get(f"/p/{firm.slug}/scorecard?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=3600"
    html = page.body.decode()
    assert "Month: March 2027" in html and "Quarter: Q1 2027" in html
    # CSAT: 4 of 6 ratings were 4 or 5 -> 67 %
    assert '<tr id="month-csat"><th scope="row">Residents satisfied (rated 4 or 5 of 5)</th><td><strong>67%</strong>' in html
    assert "n = 6" in html
    assert "Garden Court" in html  # the published property has its own table
    for private in ("Li Na", "+86 139", "Secret-flat-details", "1203", firm.admin_email):
        assert private not in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")

    review = rollup_store.report(firm.tenant_id, "M2027-03")
    assert review["firm"]["volume"]["value"] == 6 and review["firm"]["sla_first_response"]["value"] == 100.0


def test_scores_below_the_minimum_say_too_few_responses(client, firm):
    from chalicelib.services import rollups
    march_tickets(firm, [5, 1])
    publish(firm, publish=True)
    rollups.run(APRIL_NIGHT)
    html = client.http.get(f"/p/{firm.slug}/scorecard?lang=zh-CN").body.decode()
    row = html[html.index('id="month-csat"'):html.index("</tr>", html.index('id="month-csat"'))]
    assert "回复太少" in row and "n = 2" in row and "<strong>" not in row  # no value shown below n = 5


def test_a_firm_that_does_not_publish_answers_404(client, firm):
    from chalicelib.services import rollups
    march_tickets(firm, [5])
    rollups.run(APRIL_NIGHT)
    assert client.http.get(f"/p/{firm.slug}/scorecard").status_code == 404
    assert client.http.get("/p/no-such-firm-here/scorecard").status_code == 404


def test_a_later_change_moves_live_scores_but_not_the_finalised_review(client, firm):
    from chalicelib.domain.identity import Identity
    from chalicelib.services import rollups, tickets
    from chalicelib.store import rollups as rollup_store
    from chalicelib.store import scores as score_store
    made = march_tickets(firm, [5, 5, 5, 5, 5])
    rollups.run(APRIL_NIGHT)
    frozen = rollup_store.report(firm.tenant_id, "M2027-03")
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    tid, _ = made[0]
    version = body(firm.call("GET", f"/api/tickets/{tid}"))["version"]
    tickets.record_event(admin, tid, {"type": "reopen", "reason": "leaks again"}, f'"{version}"',
                         now=APRIL_NIGHT + timedelta(days=2))
    live = score_store.period(firm.tenant_id, "M2027-03")[("all", "all")]
    assert live["reopened"] == 1  # the March ticket's reopen counts against March, live
    assert rollup_store.report(firm.tenant_id, "M2027-03") == frozen
    assert frozen["firm"]["reopen_rate"]["value"] == 0.0


def test_a_firm_publishes_nothing_from_before_it_joined(client):
    """A firm that joins on 15 April: its first nights freeze nothing (March and Q1 ended
    before it was here), so its scorecard says the first one is coming rather than showing
    an empty month; on 1 May it freezes April, the month it joined."""
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm as firm_service
    from chalicelib.services import rollups, signup
    from chalicelib.store import rollups as rollup_store
    from chalicelib.store.escalations import shard_of
    joined = datetime(2027, 4, 15, 9, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
    slug = unique("joiner")
    answer = signup.sign_up({"name": "Joiner", "slug": slug, "time_zone": "Asia/Shanghai", "locale": "en",
                             "admin_email": f"admin-{slug}@example.com", "admin_name": "Ada Admin",
                             "template": "prc-residential"}, now=joined, send_invite=False)
    tenant_id = answer["tenant"]["id"]
    admin = Identity(tenant_id=tenant_id, sub=answer["admin"]["id"], role="admin", name="Ada Admin")
    current = firm_service.standards(admin)
    document = {**current["standards"], "survey": {**current["standards"].get("survey", {}), "publish": True}}
    firm_service.replace_standards(admin, {"standards": document}, f'"{current["version"]}"', now=joined)

    def night(at: datetime) -> list[str]:
        slot = next(s for s in rollup_store.due_slots(shard_of(tenant_id), at) if s.tenant_id == tenant_id)
        return rollups.finalise_firm(slot, at)

    assert night(datetime(2027, 4, 16, 1, 5, tzinfo=SHANGHAI).astimezone(timezone.utc)) == []
    assert rollup_store.report(tenant_id, "M2027-03") is None
    page = client.http.get(f"/p/{slug}/scorecard?lang=en").body.decode()
    assert "The first scorecard appears" in page and "March 2027" not in page

    assert night(datetime(2027, 5, 1, 1, 5, tzinfo=SHANGHAI).astimezone(timezone.utc)) == ["M2027-04"]
    assert "Month: April 2027" in client.http.get(f"/p/{slug}/scorecard?lang=en").body.decode()


def test_the_public_scorecard_and_the_console_review_show_the_same_figures(client, firm):
    """What the firm reads inside and what its residents read outside are the same numbers."""
    import re

    from chalicelib.services import rollups
    from tests.console.conftest import Session
    march_tickets(firm, [5, 4, 4, 2, 5, 3])
    publish(firm, publish=True)
    rollups.run(APRIL_NIGHT)
    public = client.http.get(f"/p/{firm.slug}/scorecard?lang=en").body.decode()
    review = Session(client, firm.admin_email).get("/console/reviews/M2027-03?lang=en").body.decode()

    def outside(key: str) -> str:
        return re.search(rf'id="month-{key}">.*?<strong>(.*?)</strong>', public).group(1)

    def inside(key: str) -> str:
        return re.search(rf'id="review-{key}">.*?<strong>(.*?)</strong>', review).group(1)

    for key in ("csat", "first_response_p50", "resolution_p90", "sla_resolution", "volume"):
        assert outside(key) == inside(key), key
    assert outside("csat") == "67%" and outside("first_response_p50") == "20 min" and outside("volume") == "6"

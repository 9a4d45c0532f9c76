"""Closed periods are frozen into reviews at the firm's local night; the published scorecard
shows the latest month and quarter, hides what has too few responses, names nobody, and
does not move when an old ticket changes later."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.support import body, unique

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _a_quarters_last_month() -> datetime:
    """The 10th of a quarter's last month at least two months from today (10:00 Shanghai), so
    that firms signed up today were there for it, and its first night closes a quarter too."""
    ahead = datetime.now(SHANGHAI) + timedelta(days=62)
    return datetime(ahead.year, (ahead.month - 1) // 3 * 3 + 3, 10, 10, 0, tzinfo=SHANGHAI)


MONTH_LOCAL = _a_quarters_last_month()
MONTH_AT = MONTH_LOCAL.astimezone(timezone.utc)
NIGHT_AFTER = (MONTH_LOCAL.replace(day=28) + timedelta(days=4)).replace(day=1, hour=2).astimezone(timezone.utc)
QUARTER = (MONTH_LOCAL.month - 1) // 3 + 1
MONTH_KEY, QUARTER_KEY = f"M{MONTH_LOCAL:%Y-%m}", f"Q{MONTH_LOCAL.year}-{QUARTER}"
MONTH_EN, QUARTER_EN = f"{MONTH_LOCAL:%B %Y}", f"Q{QUARTER} {MONTH_LOCAL.year}"
MONTH_ZH, QUARTER_ZH = f"{MONTH_LOCAL.year}年{MONTH_LOCAL.month}月", f"{MONTH_LOCAL.year}年第{QUARTER}季度"


def month_tickets(firm, ratings: list[int]) -> list[tuple[str, str]]:
    """Reports in that month, each resolved two hours later and rated an hour after that."""
    from chalicelib.domain.identity import Identity
    from chalicelib.services import surveys, tickets
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    made = []
    for i, rating in enumerate(ratings):
        at = MONTH_AT + timedelta(hours=i)
        answer, _ = tickets.submit_report(firm.slug, firm.report(
            description=unique("Secret-flat-details"), contact={"name": "Li Na", "phone": f"+86 139 1111 {1000 + i}"}),
            now=at)
        tid = next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                   if t["number"] == answer["ticket"]["number"])
        tickets.record_event(admin, tid, {"type": "acknowledge"}, '"1"', now=at + timedelta(minutes=20))
        tickets.record_event(admin, tid, {"type": "resolve", "note": "Fixed."}, '"2"', now=at + timedelta(hours=2))
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
    month_tickets(firm, [5, 4, 4, 2, 5, 3])
    publish(firm, publish=True, publish_properties=[firm.property_id])
    unpublished_before = client.http.get(f"/p/{firm.slug}/scorecard", headers={"Accept-Language": "en"})
    assert "The first scorecard appears" in unpublished_before.body.decode()  # nothing finalised yet

    done = rollups.run(NIGHT_AFTER)
    assert MONTH_KEY in done.periods_finalised and QUARTER_KEY in done.periods_finalised
    assert rollups.run(NIGHT_AFTER + timedelta(minutes=30)).periods_finalised == []  # once a night, once a period

    page = client.http.get(f"/p/{firm.slug}/scorecard?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=3600"
    html = page.body.decode()
    assert f"Month: {MONTH_EN}" in html and f"Quarter: {QUARTER_EN}" in html
    # CSAT: 4 of 6 ratings were 4 or 5 -> 67 %
    assert '<tr id="month-csat"><th scope="row">Residents satisfied (rated 4 or 5 of 5)</th><td><strong>67%</strong>' in html
    assert "n = 6" in html
    assert "Garden Court" in html  # the published property has its own table
    for private in ("Li Na", "+86 139", "Secret-flat-details", "1203", firm.admin_email):
        assert private not in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")

    review = rollup_store.report(firm.tenant_id, MONTH_KEY)
    assert review["firm"]["volume"]["value"] == 6 and review["firm"]["sla_first_response"]["value"] == 100.0


def test_scores_below_the_minimum_say_too_few_responses(client, firm):
    from chalicelib.services import rollups
    month_tickets(firm, [5, 1])
    publish(firm, publish=True)
    rollups.run(NIGHT_AFTER)
    html = client.http.get(f"/p/{firm.slug}/scorecard?lang=zh-CN").body.decode()
    row = html[html.index('id="month-csat"'):html.index("</tr>", html.index('id="month-csat"'))]
    assert "回复太少" in row and "n = 2" in row and "<strong>" not in row  # no value shown below n = 5


def test_a_firm_that_does_not_publish_answers_404(client, firm):
    from chalicelib.services import rollups
    month_tickets(firm, [5])
    rollups.run(NIGHT_AFTER)
    assert client.http.get(f"/p/{firm.slug}/scorecard").status_code == 404
    assert client.http.get("/p/no-such-firm-here/scorecard").status_code == 404


def test_a_later_change_moves_live_scores_but_not_the_finalised_review(client, firm):
    from chalicelib.domain.identity import Identity
    from chalicelib.services import rollups, tickets
    from chalicelib.store import rollups as rollup_store
    from chalicelib.store import scores as score_store
    made = month_tickets(firm, [5, 5, 5, 5, 5])
    rollups.run(NIGHT_AFTER)
    frozen = rollup_store.report(firm.tenant_id, MONTH_KEY)
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    tid, _ = made[0]
    version = body(firm.call("GET", f"/api/tickets/{tid}"))["version"]
    tickets.record_event(admin, tid, {"type": "reopen", "reason": "leaks again"}, f'"{version}"',
                         now=NIGHT_AFTER + timedelta(days=2))
    live = score_store.period(firm.tenant_id, MONTH_KEY)[("all", "all")]
    assert live["reopened"] == 1  # the March ticket's reopen counts against March, live
    assert rollup_store.report(firm.tenant_id, MONTH_KEY) == frozen
    assert frozen["firm"]["reopen_rate"]["value"] == 0.0


def test_a_firm_publishes_nothing_from_before_it_joined(client):
    """A firm that joins on the 15th of the month after that month: its first nights freeze
    nothing (the month and quarter before ended before it was here), so its scorecard says
    the first one is coming rather than showing an empty month; on the 1st of the next month
    it freezes the month it joined."""
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm as firm_service
    from chalicelib.services import rollups, signup
    from chalicelib.store import rollups as rollup_store
    from chalicelib.store.items import shard_of
    joined_local = NIGHT_AFTER.astimezone(SHANGHAI).replace(day=15, hour=9)
    joined = joined_local.astimezone(timezone.utc)
    next_first = (joined_local.replace(day=28) + timedelta(days=4)).replace(day=1, hour=1, minute=5)
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

    assert night(joined_local.replace(day=16, hour=1, minute=5).astimezone(timezone.utc)) == []
    assert rollup_store.report(tenant_id, MONTH_KEY) is None
    page = client.http.get(f"/p/{slug}/scorecard?lang=en").body.decode()
    assert "The first scorecard appears" in page and MONTH_EN not in page

    assert night(next_first.astimezone(timezone.utc)) == [f"M{joined_local:%Y-%m}"]
    assert f"Month: {joined_local:%B %Y}" in client.http.get(f"/p/{slug}/scorecard?lang=en").body.decode()


def test_the_public_scorecard_and_the_console_review_show_the_same_figures(client, firm):
    """What the firm reads inside and what its residents read outside are the same numbers."""
    import re

    from chalicelib.services import rollups
    from tests.console.conftest import Session
    month_tickets(firm, [5, 4, 4, 2, 5, 3])
    publish(firm, publish=True)
    rollups.run(NIGHT_AFTER)
    public = client.http.get(f"/p/{firm.slug}/scorecard?lang=en").body.decode()
    review = Session(client, firm.admin_email).get(f"/console/reviews/{MONTH_KEY}?lang=en").body.decode()

    def outside(key: str) -> str:
        return re.search(rf'id="month-{key}">.*?<strong>(.*?)</strong>', public).group(1)

    def inside(key: str) -> str:
        return re.search(rf'id="review-{key}">.*?<strong>(.*?)</strong>', review).group(1)

    for key in ("csat", "first_response_p50", "resolution_p90", "sla_resolution", "volume"):
        assert outside(key) == inside(key), key
    assert outside("csat") == "67%" and outside("first_response_p50") == "20 min" and outside("volume") == "6"
    assert outside("resolution_p90") == "2.0 h"  # 120 minutes, within the histogram's 5 %
    # the interval too: Wilson for 4 satisfied of 6, as statsmodels computes it
    from statsmodels.stats.proportion import proportion_confint
    low, high = proportion_confint(4, 6, alpha=0.05, method="wilson")
    interval = f"{100 * low:.0f}% – {100 * high:.0f}%"
    assert interval in public[public.index('id="month-csat"'):] and interval in review
    # and in Chinese, on both sides
    public_zh = client.http.get(f"/p/{firm.slug}/scorecard?lang=zh-CN").body.decode()
    assert re.search(r'id="month-first_response_p50">.*?<strong>20 分钟</strong>', public_zh)
    assert QUARTER_ZH in public_zh and MONTH_ZH in public_zh

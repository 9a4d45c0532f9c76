"""The scores dashboard, its CSV downloads and the printable reviews.

Given a firm whose residents reported, were answered, fixed and asked for their rating this
month, and whose last closed month has been frozen into a review by the nightly rollup:
the browser scenario reads the dashboard (a score with its n and interval, one with too few
answers, the SVG charts with JavaScript off), changes the slice, opens the review and
downloads a CSV. The chalice test client covers the rest cheaply: who may see what, the
DynamoDB round trips and the page sizes."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.support import Firm, body, set_password, unique

ZONE = "Asia/Shanghai"
LEAK = "厨房水龙头一直滴水，晚上很吵。"


def _invite(firm, name: str) -> tuple[str, str]:
    """A staff member who can sign in to the console: (sub, e-mail)."""
    email = f"{unique('staff')}@example.com"
    answer = firm.call("POST", "/api/staff", {"email": email, "name": name, "role": "staff"})
    assert answer.status_code == 201, answer.body
    set_password(email)
    return body(answer)["id"], email


def freeze_last_month(firm, now: datetime) -> list[str]:
    """The rollup's first night of this month for ``firm``, played as a firm that was there
    last month (signed up today, its slot counts last month as done before it joined).
    Returns the periods it finalised."""
    from chalicelib.domain import scores as rules
    from chalicelib.services import rollups
    from chalicelib.store import rollups as rollup_store
    from chalicelib.store.items import shard_of
    night = rules.next_finalisation(now, ZONE) + timedelta(minutes=5)  # the new firm's slot is due by then
    slot = next(s for s in rollup_store.due_slots(shard_of(firm.tenant_id), night) if s.tenant_id == firm.tenant_id)
    month_start = rules.period_bounds(rules.period_keys(now, ZONE)["month"], ZONE)[0]
    return rollups.finalise_firm(replace(slot, finalised={}), month_start + timedelta(hours=2))  # 02:00 on the 1st


def _tickets(firm, start: datetime, answers: list[dict | None], assignees: list[str | None],
             category: str = "repairs", description: str = "") -> None:
    """Reports from ``start``, one an hour; each assigned (when it names someone), resolved
    two hours after it came in and rated an hour later (``None``: left unresolved, ``{}``:
    resolved but not rated). Through the services, with their clocks set."""
    from chalicelib.domain import tokens
    from chalicelib.domain.identity import Identity
    from chalicelib.services import surveys, tickets
    admin = Identity(tenant_id=firm.tenant_id, sub=firm.admin_sub, role="admin", name="Ada Admin")
    for i, (answer, assignee) in enumerate(zip(answers, assignees)):
        at = start + timedelta(hours=i)
        made, _ = tickets.submit_report(firm.slug, firm.report(
            category=category, unit=firm.units[i % 2], description=description or unique("Tap drips"),
            contact={"name": "Li Na", "phone": f"+86 139 2222 {1000 + i}"}), now=at)
        token = made["ticket"]["tracking_token"]
        tid, version = tokens.read(token).subject_id, 1
        if assignee:
            tickets.record_event(admin, tid, {"type": "assign", "assignee": assignee}, f'"{version}"',
                                 now=at + timedelta(minutes=10))
            version += 1
        if answer is not None:
            tickets.record_event(admin, tid, {"type": "resolve", "note": "Fixed."}, f'"{version}"', now=at + timedelta(hours=2))
        if answer:
            surveys.answer_by_tracking(token, answer, now=at + timedelta(hours=3))


@pytest.fixture(scope="module")
def scene(client):
    """This month: five rated repairs (CSAT n = 5, the firm's minimum: a number with its
    interval; NPS answered twice: too few) and an open water leak; last month two reports,
    frozen into a review by the rollup as it runs in the first night of this month."""
    from chalicelib.domain import scores as rules
    firm = Firm.sign_up(client)
    me, my_email = _invite(firm, "Wang Wei")
    colleague, _ = _invite(firm, "Zhao Lei")
    now = datetime.now(timezone.utc)
    month = rules.period_keys(now, ZONE)["month"]
    closed = rules.previous_periods(month, 2)[0]
    month_start = rules.period_bounds(month, ZONE)[0]
    start = month_start + (now - month_start) / 2  # inside this month, and not in the future
    ratings = [{"rating": "5", "nps": "10"}, {"rating": "4", "nps": "3"}, {"rating": "5"}, {"rating": "2"},
               {"rating": "4", "sq_reliability": "4", "sq_empathy": "3"}]
    _tickets(firm, start, ratings, [me, me, colleague, None, None])
    _tickets(firm, start + timedelta(hours=8), [None], [None], category="water_leak", description=LEAK)
    closed_start = rules.period_bounds(closed, ZONE)[0] + timedelta(days=3)
    _tickets(firm, closed_start, [{"rating": "3"}, None], [None, None])
    assert closed in freeze_last_month(firm, now)
    return {"firm": firm, "me": me, "my_email": my_email, "colleague": colleague, "month": month,
            "closed": closed}


def test_an_admin_reads_the_dashboard_changes_the_slice_opens_the_review_and_downloads_a_csv(
        scene, browser, desk, base_url, axe):
    firm, month, closed = scene["firm"], scene["month"], scene["closed"]
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path=f"/console/dashboard?period={month}")
    assert page.locator("h1").inner_text() == "Dashboard"

    # CSAT: 4 of 5 ratings were 4 or 5 -> 80 %, with n and its Wilson interval; NPS: 2 answers, too few.
    csat = page.locator("#score-csat").inner_text()
    assert "80%" in csat and "5" in csat and "38% – 96%" in csat
    nps = page.locator("#score-nps").inner_text()
    assert "Too few responses" in nps and "2" in nps
    assert "6" in page.locator("#score-volume").inner_text()
    # Hotspots and trends are inline SVG images with names; the hotspot lists the repairs.
    assert page.locator("svg.chart").count() == 5
    assert page.locator("#hot-category").is_visible()
    assert "Repairs: 5 (83%)" in page.locator("#hot-category desc").text_content()
    assert page.locator("#trend-satisfaction circle").count() >= 1  # this month's CSAT point
    assert_no_blocking_violations(axe, page, "the dashboard")
    shot(page, "console-dashboard")

    # The slice: by problem type. Each type is a row with its own numbers.
    page.select_option("#by", "category")
    page.click("#picker button")
    assert "by=category" in page.url
    rows = page.locator("#slices tbody tr")
    assert rows.count() == 2
    assert "Repairs" in rows.nth(0).inner_text() and "Water leak" in rows.nth(1).inner_text()
    shot(page, "console-dashboard-by-category")

    # The review of last month, from the dashboard's list of closed periods.
    page.click(f"a[href='/console/reviews/{closed}']")
    assert page.locator("h1").inner_text().startswith("Monthly review")
    assert "Too few responses" in page.locator("#review-csat").inner_text()  # one rating
    assert "2" in page.locator("#review-volume").inner_text()
    assert page.locator("#promises tbody tr").count() >= 3  # the PRC template's promises, with the results
    assert "Garden Court" in page.locator("section.property h2").first.inner_text()
    assert page.locator("svg.chart").first.is_visible()
    assert_no_blocking_violations(axe, page, "the review")
    shot(page, "console-review")
    page.emulate_media(media="print")  # printed: no menus
    assert not page.locator("nav.nav").is_visible() and page.locator("h1").is_visible()
    page.emulate_media(media="screen")

    # The tickets of this month as CSV, for Excel: a BOM, and the resident's Chinese text intact.
    page.goto(f"{base_url}/console/dashboard?period={month}")
    with page.expect_download() as download:
        page.click("a[href^='/console/exports/tickets.csv']")
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert LEAK in [r["description"] for r in rows]

    # JavaScript off: the charts are there and visible all the same (they are server-drawn SVG).
    plain = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False, locale="zh-CN",
                                extra_http_headers={"Accept-Language": "zh-CN"})
    try:
        reader = plain.new_page()
        sign_in(reader, base_url, firm.admin_email, next_path=f"/console/dashboard?period={month}")
        reader.wait_for_load_state("load")  # count() does not wait: the page must have arrived first
        reader.locator("h1").first.wait_for()
        assert reader.locator("svg.chart").count() == 5
        assert reader.locator("#trend-volume").is_visible()
        assert "维修" in reader.locator("#hot-category desc").text_content()  # the problem type's Chinese name
    finally:
        plain.close()


def test_who_sees_what_round_trips_and_page_sizes(client, scene):
    from chalicelib.web import console_stylesheet
    firm, month, closed = scene["firm"], scene["month"], scene["closed"]
    admin = Session(client, firm.admin_email)
    staff = Session(client, scene["my_email"])

    # Round trips: a dashboard in every slice and a review, each counted on its own (the page's
    # one service call reads the settings and names as well: nothing cached is relied on).
    slices = ("firm", "property", "building", "category", "staff")
    sizes = {}
    for by in slices:
        with dynamo_calls() as calls:
            answer = admin.get(f"/console/dashboard?period={month}&by={by}")
        assert answer.status_code == 200, by
        assert sum(calls.values()) <= 3, (by, dict(calls))
        sizes[by] = len(answer.body)
    with dynamo_calls() as calls:
        review = admin.get(f"/console/reviews/{closed}")
    assert review.status_code == 200 and sum(calls.values()) <= 3, dict(calls)
    css = len(console_stylesheet().encode())  # the one stylesheet every console page links
    assert max(sizes.values()) + css < 100_000, sizes
    assert len(review.body) + css < 100_000

    # Staff see their own numbers in the staff slice; a colleague's answers 403.
    mine = staff.get(f"/console/dashboard?period={month}&by=staff")
    assert mine.status_code == 200 and "Wang Wei" in mine.body.decode() and "Zhao Lei" not in mine.body.decode()
    theirs = staff.get(f"/console/dashboard?period={month}&by=staff&value={scene['colleague']}")
    assert theirs.status_code == 403
    assert staff.get(f"/console/dashboard?period={month}&by=staff&value={scene['me']}").status_code == 200
    assert admin.get(f"/console/dashboard?period={month}&by=staff&value={scene['colleague']}").status_code == 200

    # Reviews are per firm: another firm's admin asking for this firm's closed month gets 404.
    other = Firm.sign_up(client)  # after the rollup: it has no review of its own
    answer = Session(client, other.admin_email).get(f"/console/reviews/{closed}")
    assert answer.status_code == 404
    assert admin.get("/console/reviews/M2099-01").status_code == 404  # not finalised (yet)

    # The scores CSV through the console session: the API's file, with its headers.
    scores_file = admin.get(f"/console/exports/scores.csv?period={month}&by=category")
    assert scores_file.status_code == 200 and scores_file.body.startswith(b"\xef\xbb\xbf")
    assert scores_file.headers["Content-Disposition"] == f'attachment; filename="scores-{month}-category.csv"'
    rows = list(csv.DictReader(io.StringIO(scores_file.body.decode("utf-8-sig"))))
    assert {r["value"] for r in rows} == {"all", "repairs", "water_leak"}

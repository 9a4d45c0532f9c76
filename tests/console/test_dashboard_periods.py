"""The dashboard's periods for a firm that joined in the month before last: it opens on last
month (complete), offers only periods since the firm joined, leaves the months before out of
its trends, shows each headline figure's change from the month before in both languages, and
no chart label is cut off at 1280 or 375 px."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.console.conftest import Session, assert_no_blocking_violations, shot, sign_in
from tests.console.test_dashboard import ZONE, _tickets
from tests.support import Firm, body


LONG_BUILDING = "Wellington Mansions North Wing, Tower W"


def _months_back(today: date, n: int) -> date:
    """The first day of the month ``n`` months before ``today``'s."""
    year, month = today.year, today.month - n
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _key(day: date) -> str:
    return f"M{day.year}-{day.month:02d}"


@pytest.fixture(scope="module")
def joined_firm(client):
    """Signed up (as far as the store knows) on the 2nd of the month before last at 10:00 in
    Shanghai, with a minimum n of 2 in its standards (so a few reports make a figure). That
    month: 2 rated repairs, 1 of them 4 or 5 (50 %). Last month: 5 reports, 4 rated, 3 of them
    4 or 5 (75 %): +25 points and +3 reports."""
    from chalicelib.services import scores as score_service
    from chalicelib.store.models import BuildingItem, TenantItem, tenant_pk
    from chalicelib.store.tickets import building_sk
    firm = Firm.sign_up(client)
    current = body(firm.call("GET", "/api/standards"))
    standards = {**current["standards"], "survey": {**current["standards"].get("survey", {}), "min_n": 2}}
    saved = firm.call("PUT", "/api/standards", {"standards": standards}, **{"If-Match": f'"{current["version"]}"'})
    assert saved.status_code == 200, saved.body
    today = datetime.now(ZoneInfo(ZONE)).date()
    first, second = _months_back(today, 2), _months_back(today, 1)
    joined = datetime(first.year, first.month, 2, 10, 0, tzinfo=ZoneInfo(ZONE))
    TenantItem(tenant_pk(firm.tenant_id), "META").update(actions=[TenantItem.created_at.set(joined)])
    # Its building has a long name, the kind that would run out of a chart's label column.
    BuildingItem(tenant_pk(firm.tenant_id), building_sk(firm.property_id, firm.building_id)).update(
        actions=[BuildingItem.name.set(LONG_BUILDING)])
    score_service.forget_settings(firm.tenant_id)

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, 3, 9, 0, tzinfo=ZoneInfo(ZONE)).astimezone(timezone.utc)

    _tickets(firm, at(first), [{"rating": r} for r in ("5", "1")], [None] * 2)
    _tickets(firm, at(second), [{"rating": r} for r in ("5", "4", "4", "2")] + [None], [None] * 5)
    return {"firm": firm, "first": first, "second": second, "today": today}


def test_it_opens_on_last_month_with_the_change_from_the_month_before_and_only_periods_since_joining(
        client, joined_firm):
    firm, first, second = joined_firm["firm"], joined_firm["first"], joined_firm["second"]
    admin = Session(client, firm.admin_email)
    opened = admin.get("/console/dashboard?lang=en")
    assert opened.status_code in (302, 303)
    assert f"period={_key(second)}" in opened.headers["Location"]

    html = admin.get(f"/console/dashboard?period={_key(second)}&lang=en").body.decode()
    before = calendar.month_name[first.month]  # e.g. "October"
    csat = re.search(r'id="score-csat">(.*?)</tr>', html, re.S).group(1)
    assert "75%" in csat and f"+25 pts from {before}" in csat and "▲" in csat and ">up<" in csat
    volume = re.search(r'id="score-volume">(.*?)</tr>', html, re.S).group(1)
    assert f"+3 from {before}" in volume

    # The chooser: this month, last month and the month the firm joined; nothing older.
    months = set(re.findall(r'<option value="(M\d{4}-\d\d)"', html))
    assert months == {_key(joined_firm["today"]), _key(second), _key(first)}
    # The trend ends at last month and starts at the month the firm joined: two points, not twelve.
    label = {m: (str(d.year) if d.month == 1 else calendar.month_abbr[d.month]) for m, d in
             ((_key(first), first), (_key(second), second))}
    desc = re.search(r'id="trend-volume".*?<desc[^>]*>(.*?)</desc>', html, re.S).group(1)
    assert desc == f"Reports: {label[_key(first)]} 2, {label[_key(second)]} 5.", desc

    # The month the firm joined has no month of its own before it: no change is claimed.
    joining_month = admin.get(f"/console/dashboard?period={_key(first)}&lang=en").body.decode()
    assert "50%" in re.search(r'id="score-csat">(.*?)</tr>', joining_month, re.S).group(1)
    assert 'class="change"' not in joining_month


def test_the_change_reads_in_chinese_with_no_english_or_codes(client, joined_firm):
    firm, first, second = joined_firm["firm"], joined_firm["first"], joined_firm["second"]
    html = Session(client, firm.admin_email).get(f"/console/dashboard?period={_key(second)}&lang=zh-CN").body.decode()
    changes = re.findall(r'<span class="change">(.*?)</span>(?=</td>)', html, re.S)
    assert changes, "no change shown"
    text = [re.sub(r"<[^>]+>", "", c) for c in changes]
    assert f"▲上升 较{first.month}月 +25 个百分点" in text
    assert all(not re.search(r"[A-Za-z]", t) for t in text), text
    # Every Latin word on the page (charts included) is a name the firm gave, the link to the
    # English page, or a term kept as is: no English sentence and no snake_case key.
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S))
    words = set(re.findall(r"[A-Za-z][A-Za-z_]+", visible))
    names = re.findall(r"\w+", LONG_BUILDING)  # the building's name, whole or shortened in a chart
    words = {w for w in words if not any(name.startswith(w) for name in names)}
    assert words <= {"Ada", "Admin", "Garden", "Court", "English", "PropDesk", "CSV", "Excel", "NPS",
                      "SERVQUAL"}, words


@pytest.mark.parametrize("width, lang", [(1280, "en"), (375, "zh-CN")])
def test_no_chart_label_is_cut_off(browser, base_url, joined_firm, width, lang, axe):
    firm, second = joined_firm["firm"], joined_firm["second"]
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    try:
        page = context.new_page()
        sign_in(page, base_url, firm.admin_email, next_path=f"/console/dashboard?period={_key(second)}")
        page.locator("svg.chart").first.wait_for()
        outside = page.evaluate("""() => {
            const out = [];
            let seen = 0;
            for (const svg of document.querySelectorAll('svg.chart')) {
                const box = svg.getBoundingClientRect();
                for (const t of svg.querySelectorAll('text')) {
                    const r = t.getBoundingClientRect();
                    if (r.width === 0) continue;
                    seen += 1;
                    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5
                        || r.bottom > box.bottom + 0.5) out.push(svg.id + ': ' + t.textContent);
                }
            }
            return {out, seen};
        }""")
        assert outside["seen"] > 20 and outside["out"] == [], outside
        assert "Wellington" in page.locator("#hot-building").inner_html()  # the long name is drawn (shortened)
        assert page.locator("#score-csat .change").is_visible()
        assert_no_blocking_violations(axe, page, f"the dashboard at {width} px")
        shot(page, f"console-dashboard-changes-{width}")
    finally:
        context.close()

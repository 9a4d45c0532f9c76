"""A new firm's console starts with a checklist of five steps, each ticked from what is stored
(wherever the admin did it, the API included), in the admin's language, within 3 round trips."""

from __future__ import annotations

import re

from tests.console.conftest import Session, assert_no_blocking_violations, dynamo_calls, shot, sign_in
from tests.pages.conftest import WAIT_MS
from tests.support import Firm, body


def states(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li id="step-([a-z-]+)" class="(done|todo)"', html))


def test_each_step_is_ticked_by_doing_it_and_the_page_reads_in_chinese(client):
    firm = Firm.sign_up(client, with_register=False)
    admin = Session(client, firm.admin_email)
    with dynamo_calls() as calls:
        first = admin.get("/console/welcome")
    assert first.status_code == 200 and sum(calls.values()) <= 3, dict(calls)
    html = first.body.decode()  # the console's default language: zh-CN
    assert states(html) == {"service-phone": "todo", "units": "todo", "standards": "todo", "poster": "todo",
                            "colleague": "todo"}
    assert "已完成 0 / 5 步" in html and "设置服务电话" in html and "Invite a colleague" not in html
    queue = admin.get("/console/queue").body.decode()
    assert 'href="/console/welcome"' in queue  # the empty queue points a new admin at it

    firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"})
    firm.add_register()  # a property, a building, two units
    assert states(admin.get("/console/welcome").body.decode()) == {
        "service-phone": "done", "units": "done", "standards": "todo", "poster": "todo", "colleague": "todo"}
    standards = body(firm.call("GET", "/api/standards"))
    assert firm.call("PUT", "/api/standards", {"standards": standards["standards"]},
                     **{"If-Match": f'"{standards["version"]}"'}).status_code == 200
    assert admin.get(f"/console/posters/{firm.property_id}/print").status_code == 200
    assert admin.get(f"/console/posters/{firm.property_id}/print").status_code == 200  # again: no harm
    firm.add_staff(name="Zhao Lei")
    html = admin.get("/console/welcome").body.decode()
    assert set(states(html).values()) == {"done"}
    assert "五个步骤均已完成" in html


def test_staff_cannot_open_it_and_another_firms_steps_are_its_own(client, firm, other_firm):
    _, staff_token = firm.add_staff()
    staff_email = next(p["email"] for p in body(firm.call("GET", "/api/staff"))["staff"] if p["role"] == "staff")
    from tests.support import set_password
    set_password(staff_email)
    assert Session(client, staff_email).get("/console/welcome").status_code == 403
    # firm has units and a colleague; the other firm's own facts decide its list
    other = states(Session(client, other_firm.admin_email).get("/console/welcome").body.decode())
    ours = states(Session(client, firm.admin_email).get("/console/welcome").body.decode())
    assert ours["colleague"] == "done" and ours["units"] == "done"
    assert other["units"] == "done" and other["poster"] == "todo"


def test_the_checklist_on_a_phone_and_a_desktop(desk, base_url, client, axe):
    firm = Firm.sign_up(client)
    page = desk.new_page()
    sign_in(page, base_url, firm.admin_email, next_path="/console/welcome?lang=en")
    page.wait_for_url(re.compile(r".*/console/welcome\?lang=en$"), timeout=WAIT_MS)
    assert page.locator("h1").inner_text() == "Getting started"
    assert page.locator("#progress").inner_text().startswith("1 of 5 steps done")  # its units are registered
    assert page.locator("#step-units .state").inner_text() == "Done"
    assert page.locator("#step-colleague .state").inner_text() == "To do"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_no_blocking_violations(axe, page, "getting started, 375 px")
    shot(page, "console-welcome-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#step-colleague a")
    page.wait_for_url(re.compile(r".*/console/staff$"), timeout=WAIT_MS)

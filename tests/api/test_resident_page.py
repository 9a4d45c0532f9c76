"""A firm's service phone (and a property's) and its personal information notice: set by
admins, shown to residents, and the notice's version recorded with each report's contact."""

from __future__ import annotations

import re

import pytest

from tests.support import Firm, body

HTML = {"Accept": "text/html", "Accept-Language": "en"}


@pytest.fixture(scope="module")
def desk(client):
    return Firm.sign_up(client, locale="en")


def page(client, path: str) -> str:
    response = client.http.get(path, headers=HTML)
    assert response.status_code == 200, response.status_code
    return response.body.decode()


def test_the_default_notice_names_the_firm_its_contact_and_the_retention(client, desk):
    form = page(client, f"/r/{desk.slug}")
    notice = re.search(r'<section class="notice" id="privacy-notice".*?</section>', form, re.S).group(0)
    assert f"Firm {desk.slug}" in notice
    assert "180 days" in notice and "365 days" in notice
    assert "our service desk" in notice  # no phone set yet
    assert 'name="notice_version" value="default-2026-12"' in form
    zh = client.http.get(f"/r/{desk.slug}?lang=zh-CN", headers=HTML).body.decode()
    assert "180天" in zh and "个人信息说明" in zh


def test_an_admin_sets_the_service_phone_and_residents_see_it_everywhere(client, desk):
    answer = desk.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"})
    assert answer.status_code == 200, answer.body
    assert body(answer)["notice_version"] == "default-2026-12"  # the notice did not change
    assert 'href="tel:4008208820"' in page(client, f"/r/{desk.slug}")
    token = body(desk.submit())["ticket"]["tracking_token"]
    tracking = page(client, f"/t/{token}")
    assert re.search(r'id="service-phone".*href="tel:4008208820"', tracking)
    assert "contact 400-820-8820" in page(client, f"/r/{desk.slug}")  # filled into the notice


def test_a_property_phone_wins_on_that_propertys_pages(client, desk):
    refused = desk.call("PUT", f"/api/properties/{desk.property_id}/service-phone", {"service_phone": "call us"})
    assert refused.status_code == 422
    assert desk.call("PUT", f"/api/properties/{desk.property_id}/service-phone",
                     {"service_phone": "+86 21 6888 8888"}).status_code == 200
    token = body(desk.submit(desk.report(unit="1204")))["ticket"]["tracking_token"]
    assert 'href="tel:+862168888888"' in page(client, f"/t/{token}")
    assert 'href="tel:+862168888888"' in page(client, f"/r/{desk.slug}")  # its only property
    other = desk.call("PUT", f"/api/properties/01J000000000000000000000000/service-phone",
                      {"service_phone": "400-820-8820"})
    assert other.status_code == 404


def test_a_firms_own_notice_moves_its_version_and_is_recorded_with_the_report(client, desk):
    answer = body(desk.call("PUT", "/api/tenant/resident-page", {
        "service_phone": "400-820-8820", "notice_en": "We keep your details for 90 days.",
        "notice_zh_cn": "我们保存您的信息90天。"}))
    assert answer["notice_version"] == "firm-1"
    form = page(client, f"/r/{desk.slug}")
    assert "We keep your details for 90 days." in form and 'value="firm-1"' in form
    ticket = body(desk.call("POST", "/api/tickets", desk.report()))  # staff see the contact
    created = body(desk.submit(desk.report(unit="1203", description="The bathroom fan is loud at night.")))
    assert created["ticket"]["number"] == ticket["number"] + 1
    listed = body(desk.call("GET", "/api/tickets?limit=100"))["tickets"]
    mine = next(t for t in listed if t["number"] == created["ticket"]["number"])
    consent = mine["contact"]["consent"]
    assert consent["notice"] == "firm-1" and consent["at"].endswith("Z")
    again = body(desk.call("PUT", "/api/tenant/resident-page", {
        "service_phone": "400-820-8820", "notice_en": "We keep your details for 90 days.",
        "notice_zh_cn": "我们保存您的信息90天。"}))
    assert again["notice_version"] == "firm-1"  # same text, same version


def test_the_lobby_poster_shows_the_service_phone_and_where_to_find_reports_again(client, desk):
    desk.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"})
    desk.call("PUT", f"/api/properties/{desk.property_id}/service-phone", {"service_phone": ""})  # cleared
    poster = desk.call("GET", f"/api/properties/{desk.property_id}/poster?lang=zh-CN").body.decode()
    assert re.search(r'id="service-phone".*服务电话：400-820-8820', poster)
    assert re.search(rf'id="find-url".*/r/{desk.slug}/mine', poster)
    svg = desk.call("GET", f"/api/properties/{desk.property_id}/poster.svg").body.decode()
    assert "400-820-8820" in svg


def resolved_ticket(desk) -> str:
    from tests.support import unique
    answer = body(desk.submit(desk.report(description=unique("The stair light is out"))))
    number = answer["ticket"]["number"]
    ticket = next(t for t in body(desk.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
    response = desk.event(ticket["id"], ticket["version"], {"type": "resolve", "note": "New bulb"})
    assert response.status_code == 201, response.body
    return answer["ticket"]["tracking_token"]


def test_after_a_resolution_the_survey_comes_before_not_fixed_and_the_fix_shows_as_met(client, desk):
    html = page(client, f"/t/{resolved_ticket(desk)}")
    assert html.index('id="survey-section"') < html.index('id="not-fixed-section"')
    assert 'id="resolution" class="met"' in html and "We aim to fix it by" not in html
    assert html.index('id="status-card"') < html.index('id="survey-section"')


def test_a_time_zone_note_only_when_the_readers_zone_is_not_the_firms(client, desk):
    token = body(desk.submit(desk.report(description="The lift button sticks.")))["ticket"]["tracking_token"]
    same = client.http.get(f"/t/{token}", headers={**HTML, "CloudFront-Viewer-Time-Zone": "Asia/Shanghai"})
    away = client.http.get(f"/t/{token}", headers={**HTML, "CloudFront-Viewer-Time-Zone": "Europe/London"})
    assert 'id="zone-note"' not in same.body.decode() and 'id="zone-note"' not in page(client, f"/t/{token}")
    assert 'id="zone-note"' in away.body.decode() and "Asia/Shanghai" in away.body.decode()


def test_the_ticket_data_messages_are_rendered_from_carries_the_service_phone(client):
    from chalicelib.store.escalations import watch_sk
    from chalicelib.store.models import WatchItem, tenant_pk
    firm = Firm.sign_up(client, locale="zh-CN")
    firm.call("PUT", "/api/tenant/resident-page", {"service_phone": "400-820-8820"})

    def info_of(number: int) -> dict:
        ticket = next(t for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)
        return WatchItem.get(tenant_pk(firm.tenant_id), watch_sk(ticket["id"])).info.as_dict(), ticket

    info, _ = info_of(body(firm.submit())["ticket"]["number"])
    assert info["service_phone"] == "400-820-8820"
    assert firm.call("PUT", f"/api/properties/{firm.property_id}/service-phone",
                     {"service_phone": "021 6888 8888"}).status_code == 200
    info, ticket = info_of(body(firm.submit(firm.report(unit="1204")))["ticket"]["number"])
    assert info["service_phone"] == "021 6888 8888"  # the property's own, at intake
    assert firm.event(ticket["id"], ticket["version"], {"type": "acknowledge"}).status_code == 201
    info, _ = info_of(ticket["number"])
    assert info["service_phone"] == "021 6888 8888"  # and after a staff event (no extra read)

"""A complaint's second stage at the resident's request (the Housing Ombudsman's Complaint
Handling Code: stage 1 answered, then stage 2 if the resident is not satisfied).

Given a UK firm (its template's stage-1 complaint category names stage 2 as its next stage),
when staff answer a stage-1 complaint, then its tracking page offers the next stage; asking
for it makes one new stage-2 report (its own number, tracking link and the Code's promised
times: acknowledged in 5 working days), says so on both reports, and asking again, twice at
once or after a retry never makes a second one. Before the answer, for a category with no
next stage, or with no reason, nothing is written.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from datetime import datetime, timezone
from urllib.parse import quote, urlparse

import pytest

from tests.support import Firm, body

FORM = "application/x-www-form-urlencoded"
SEEN = itertools.count(1)  # each complaint its own words (the same report again is taken as a retry)


@pytest.fixture(scope="module")
def uk_firm(client):
    return Firm.sign_up(client, time_zone="Europe/London", template="uk-social-housing")


def complaint(firm: Firm, *, category: str = "complaint_stage1", resolve: bool = True) -> tuple[str, str, int]:
    """A resident's complaint (tracking token, ticket id, number), answered by staff if asked."""
    answer = body(firm.submit(firm.report(category=category, urgency="routine",
                                          description=f"Nobody came about the broken entry door ({next(SEEN)}).")))
    token, number = answer["ticket"]["tracking_token"], answer["ticket"]["number"]
    tid = ticket_id(firm, number)
    if resolve:
        view = body(firm.call("GET", f"/api/tickets/{tid}"))
        answered = firm.event(tid, view["version"], {"type": "resolve", "note": "We have repaired the door closer."})
        assert answered.status_code == 201, answered.body
    return token, tid, number


def ticket_id(firm: Firm, number: int) -> str:
    return next(t["id"] for t in body(firm.call("GET", "/api/tickets?limit=100&status=resolved"))["tickets"]
                + body(firm.call("GET", "/api/tickets?limit=100"))["tickets"] if t["number"] == number)


def escalate(client, token: str, reason: str = "The door still slams and nobody called me back."):
    return client.http.post(f"/t/{token}/escalate", headers={"Content-Type": "application/json"},
                            body=json.dumps({"reason": reason}))


def numbers(firm: Firm) -> list[int]:
    return sorted(t["number"] for t in body(firm.call("GET", "/api/tickets?limit=100"))["tickets"]
                  + body(firm.call("GET", "/api/tickets?limit=100&status=resolved"))["tickets"])


def test_an_answered_stage_one_complaint_goes_to_stage_two_once(client, uk_firm):
    token, tid, number = complaint(uk_firm)
    before = numbers(uk_firm)

    first = escalate(client, token)
    assert first.status_code == 201, first.body
    answer = body(first)
    assert answer["replayed"] is False and answer["number"] not in before
    stage2 = client.http.get(f"/t/{answer['tracking_token']}", headers={"Accept": "application/json"})
    view = body(stage2)
    assert view["category"] == "complaint_stage2" and view["status"] == "new"
    assert view["description"] == "The door still slams and nobody called me back."

    # Stage 1 says where it went, to the resident and to staff; it is still answered.
    stage1 = body(client.http.get(f"/t/{token}", headers={"Accept": "application/json"}))
    asked = [e for e in stage1["timeline"] if e["type"] == "escalation_requested"]
    assert [e["number"] for e in asked] == [answer["number"]] and stage1["status"] == "resolved"
    staff = body(uk_firm.call("GET", f"/api/tickets/{tid}"))
    assert [e["data"]["number"] for e in staff["timeline"] if e["type"] == "escalation_requested"] == [answer["number"]]

    # Asking again (a retry, a second tap) answers the same stage-2 report, nothing new.
    again = escalate(client, token, "Asking again in case the first did not arrive.")
    assert again.status_code == 201 and body(again)["number"] == answer["number"] and body(again)["replayed"] is True
    assert numbers(uk_firm) == sorted(before + [answer["number"]])


def test_stage_two_runs_on_the_codes_clock_from_the_request(client, uk_firm):
    from chalicelib.services import tickets as service
    token, _, _ = complaint(uk_firm)
    asked = service.resident_escalate(token, {"reason": "The answer did not deal with the noise."},
                                      now=datetime(2026, 12, 23, 16, 0, tzinfo=timezone.utc))  # a Wednesday
    staff = body(uk_firm.call("GET", f"/api/tickets/{ticket_id(uk_firm, asked['number'])}"))
    due = {m["key"]: m["due"] for m in staff["sla"]["milestones"]}
    # acknowledged within 5 working days (Mon-Fri, England): Thu 24, (Fri 25 and Mon 28 Dec bank
    # holidays) Tue 29, Wed 30, Thu 31, (Fri 1 Jan) Mon 4 Jan → 4 January 2027, 16:00 London (= UTC)
    assert due["acknowledge"] == "2027-01-04T16:00:00Z"
    assert staff["category"] == "complaint_stage2" and staff["contact"]["phone"].replace(" ", "").endswith("8000")


def test_two_requests_at_once_make_one_stage_two_report(client, uk_firm):
    token, _, _ = complaint(uk_firm)
    before = numbers(uk_firm)
    answers: list = []
    barrier = threading.Barrier(2)

    def ask():
        barrier.wait()
        answers.append(escalate(client, token))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409]), [a.body for a in answers]
    made = {body(a)["number"] for a in answers if a.status_code == 201}
    assert len(made) == 1
    assert numbers(uk_firm) == sorted(before + list(made))


@pytest.mark.parametrize("case", ["not answered", "no next stage", "no reason", "unknown link"])
def test_a_refused_request_writes_nothing(client, uk_firm, case):
    token, tid, _ = complaint(uk_firm, category="repairs" if case == "no next stage" else "complaint_stage1",
                              resolve=case != "not answered")
    before = numbers(uk_firm)
    version = body(uk_firm.call("GET", f"/api/tickets/{tid}"))["version"]
    if case == "unknown link":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    answer = escalate(client, token, "" if case == "no reason" else "Still not settled at all.")
    expected = {"not answered": 409, "no next stage": 409, "no reason": 422, "unknown link": 404}[case]
    assert answer.status_code == expected, answer.body
    if case == "no reason":
        assert "reason" in body(answer)["error"]["fields"]
    assert numbers(uk_firm) == before
    assert body(uk_firm.call("GET", f"/api/tickets/{tid}"))["version"] == version


def test_the_tracking_page_offers_stage_two_in_the_residents_language(client, uk_firm):
    token, _, _ = complaint(uk_firm)
    page = client.http.get(f"/t/{token}?lang=zh-CN", headers={"Accept": "text/html"}).body.decode()
    start = page.index(">", page.index('id="escalate-section"')) + 1
    offer = page[start:page.index("</section>", start)]
    assert "对我们的答复不满意？" in offer and "投诉（第二阶段）" in offer
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", "", offer)), offer  # no English word in the offer

    # Too short: the page again, the reason in Chinese beside the box, what was typed kept.
    short = client.http.post(f"/t/{token}/escalate", headers={"Content-Type": FORM, "Accept": "text/html"},
                             body="lang=zh-CN&reason=%E4%B8%8D%E8%A1%8C")  # 不行
    assert short.status_code == 422
    refused = short.body.decode()
    assert "请多写一点：至少 5 个字" in refused and ">不行</textarea>" in refused

    sent = client.http.post(f"/t/{token}/escalate", headers={"Content-Type": FORM, "Accept": "text/html"},
                            body="lang=zh-CN&reason=" + quote("门还是关不上，也没有人回电话。"))
    assert sent.status_code == 303, sent.body
    new_page = urlparse(sent.headers["Location"])
    assert new_page.path != f"/t/{token}" and "lang=zh-CN" in new_page.query
    stage2 = client.http.get(f"{new_page.path}?{new_page.query}", headers={"Accept": "text/html"}).body.decode()
    assert "投诉（第二阶段）" in stage2 and "门还是关不上，也没有人回电话。" in stage2

    told = client.http.get(f"/t/{token}?lang=zh-CN", headers={"Accept": "text/html"}).body.decode()
    assert "已提交到下一阶段" in told and "您已将投诉提交到下一阶段" in told
    assert 'action="/t/' + token + '/escalate"' not in told  # offered no more

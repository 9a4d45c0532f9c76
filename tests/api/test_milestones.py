"""Awaab's Law in a UK firm, end to end: a damp and mould report's milestones across Christmas
2026 (English bank holidays Fri 25 and Mon 28 Dec, Fri 1 Jan), each warned and escalated
exactly once by the sweep, recorded through the ticket event API and shown, by name, to the
resident and on the staff ticket page in both languages.

Times are UTC = Europe/London in winter; the UK template's hours are Mon-Fri 09:00-17:00 and
its escalation warns at 80 % and escalates to level 2 four hours after a breach.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from chalicelib.domain.identity import Identity
from tests.support import Firm, body

from .test_escalation import run_sweep


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def uk_firm(client):
    return Firm.sign_up(client, time_zone="Europe/London", template="uk-social-housing")


def admin_of(firm: Firm) -> Identity:
    return Identity(firm.tenant_id, firm.admin_sub, "admin", "Ada Admin")


def act(firm: Firm, ticket_id: str, payload: dict, at: str) -> dict:
    from chalicelib.services import tickets as service
    version = body(firm.call("GET", f"/api/tickets/{ticket_id}"))["version"]
    return service.record_event(admin_of(firm), ticket_id, payload, f'"{version}"', now=z(at))


def milestone_escalations(firm: Firm, ticket_id: str) -> list[str]:
    timeline = body(firm.call("GET", f"/api/tickets/{ticket_id}"))["timeline"]
    return [f'{e["data"]["promise"]}:{e["data"]["step"]}' for e in timeline
            if e["type"] == "escalated" and e["data"]["promise"].startswith("milestone.")]


def test_damp_and_mould_milestones_escalate_once_each_across_the_bank_holidays(client, uk_firm):
    from chalicelib.services import tickets as service
    answer, _ = service.submit_report(uk_firm.slug, uk_firm.report(
        category="damp_mould", urgency="routine", description="Black mould spreading in the bedroom"),
        now=z("2026-12-11T10:00"))  # Friday
    token = answer["ticket"]["tracking_token"]
    tid = next(t["id"] for t in body(uk_firm.call("GET", "/api/tickets?limit=100"))["tickets"]
               if t["number"] == answer["ticket"]["number"])
    act(uk_firm, tid, {"type": "acknowledge"}, "2026-12-11T11:00")

    # investigate: 10 working days → Tue 29 Dec 10:00 (25 and 28 Dec are bank holidays); the
    # warning at 80 % of its 80 open hours → Wed 23 Dec 10:00; level 2 at 14:00 on the 29th
    run_sweep(client, z("2026-12-23T09:59"))
    assert milestone_escalations(uk_firm, tid) == []
    run_sweep(client, z("2026-12-23T10:00"))
    run_sweep(client, z("2026-12-23T10:00"))  # the same event again
    assert milestone_escalations(uk_firm, tid) == ["milestone.investigate:warn"]
    run_sweep(client, z("2026-12-29T10:00"))
    run_sweep(client, z("2026-12-29T14:00"))
    run_sweep(client, z("2026-12-29T14:00"))
    assert milestone_escalations(uk_firm, tid) == ["milestone.investigate:warn", "milestone.investigate:level1",
                                                   "milestone.investigate:level2"]

    done = act(uk_firm, tid, {"type": "milestone", "kind": "investigation_done",
                              "note": "Condensation from a blocked extractor fan"}, "2026-12-29T15:00")
    states = {m["key"]: (m["due"], m["state"]) for m in done["sla"]["milestones"]}
    assert states["investigate"] == ("2026-12-29T10:00:00Z", "met_late")
    # summary: 3 working days after Tue 29 Dec 15:00: 30, 31, (1 Jan) 4 Jan → Mon 4 Jan 15:00
    assert states["summary"][0] == "2027-01-04T15:00:00Z"
    # safety work and preventive work begun: 5: 30, 31, 4, 5, 6 → Wed 6 Jan 15:00; 12 weeks: 23 Mar
    assert states["safety_work"][0] == states["preventive_begun"][0] == "2027-01-06T15:00:00Z"
    assert states["preventive_started"][0] == "2027-03-23T15:00:00Z"

    # summary's warning: 80 % of its 24 open hours = 19 h 12 min: 2 h on the 29th, 8 + 8 on the
    # 30th and 31st, 1 h 12 min on Mon 4 Jan → 10:12; its breach at 15:00
    run_sweep(client, z("2027-01-04T10:11"))
    assert "milestone.summary:warn" not in milestone_escalations(uk_firm, tid)
    run_sweep(client, z("2027-01-04T15:00"))
    run_sweep(client, z("2027-01-04T15:00"))
    found = milestone_escalations(uk_firm, tid)
    assert found.count("milestone.summary:warn") == found.count("milestone.summary:level1") == 1
    assert not any(s.startswith("milestone.safety_work") for s in found)  # its warning is on 5 Jan 15:00

    # the resident sees every public milestone with its time, and the milestone done by name
    public = body(client.http.get(f"/t/{token}"))
    assert [m["key"] for m in public["milestones"]] == ["investigate", "summary", "safety_work", "preventive_begun",
                                                         "preventive_started"]
    assert public["milestones"][1]["due"] == "2027-01-04T15:00:00Z"
    assert public["timeline"][-1]["type"] == "milestone_done"
    assert public["timeline"][-1]["names"] == [{"en": "Investigation done", "zh-CN": "调查完成"}]
    page = client.http.get(f"/t/{token}?lang=zh-CN", headers={"Accept": "text/html"}).body.decode()
    steps = page[page.index('<ul class="promises" id="milestones"'):page.index("</ul>", page.index('id="milestones"'))]
    assert "调查完成" in steps and "书面调查摘要已发送" in steps and "预防性工程开工（最迟 12 周）" in steps
    assert "已完成：调查完成" in page  # the timeline entry
    words = re.sub(r"<[^>]+>", " ", steps)  # what the resident reads: no key, no English on a zh-CN page
    assert not re.search(r"[A-Za-z_]{3,}", words), words
    english = client.http.get(f"/t/{token}?lang=en", headers={"Accept": "text/html"}).body.decode()
    assert "Written summary sent: by Jan 4, 2027" in english and "Done: Investigation done" in english
    assert "书面调查摘要已发送：2027年1月4日" in page


def test_recording_a_milestone_through_the_api_is_version_guarded_and_checked(client, uk_firm):
    made = body(uk_firm.call("POST", "/api/tickets", uk_firm.report(category="damp_mould", urgency="routine",
                                                                    description="Mould on the bathroom ceiling")))
    tid, version = made["id"], made["version"]
    early = uk_firm.event(tid, version, {"type": "milestone", "kind": "summary_sent"})
    assert early.status_code == 409 and body(early)["error"]["fields"]["kind"] == \
        "cannot be recorded before investigate is done"
    unknown = uk_firm.event(tid, version, {"type": "milestone", "kind": "painted_it"})
    assert unknown.status_code == 422 and "kind" in body(unknown)["error"]["fields"]
    not_ours = uk_firm.event(tid, version, {"type": "milestone", "kind": "on_site"})
    assert not_ours.status_code == 422
    assert body(not_ours)["error"]["fields"]["kind"].startswith("is not a milestone of this ticket's standard")
    missing = uk_firm.call("POST", f"/api/tickets/{tid}/events", {"type": "milestone", "kind": "investigation_done"})
    assert missing.status_code == 428
    done = uk_firm.event(tid, version, {"type": "milestone", "kind": "investigation_done", "note": "Surveyed"})
    assert done.status_code == 201, done.body
    assert body(done)["event"]["type"] == "milestone_done"
    again = uk_firm.event(tid, version + 1, {"type": "milestone", "kind": "investigation_done"})
    assert again.status_code == 409 and body(again)["error"]["fields"]["kind"] == "was already recorded"
    stale = uk_firm.event(tid, version, {"type": "milestone", "kind": "summary_sent"})
    assert stale.status_code == 409 and "If-Match" in body(stale)["error"]["fields"]

    from tests.console.conftest import Session
    session = Session(client, uk_firm.admin_email)
    page = session.client.http.get(f"/console/tickets/{tid}?lang=zh-CN", headers=session.headers()).body.decode()
    assert "节点完成" in page and "调查完成" in page and "书面调查摘要已发送" in page  # timeline and promised times
    assert 'name="milestone.kind"' in page and "书面摘要已发送" in page  # the form offers what can be recorded now
    assert "investigation_done" not in page.replace('value="investigation_done"', "")
    posted = session.post(f"/console/tickets/{tid}/events", {"type": "milestone", "milestone.kind": "summary_sent",
                                                              "milestone.note": "", "version": str(version + 1)})
    assert posted.status_code == 303, posted.body
    view = body(uk_firm.call("GET", f"/api/tickets/{tid}"))
    assert "summary" in view["milestones_done"]
    # the queue's next deadline is the next milestone: safety work and preventive work begun,
    # 5 working days after the investigation, before the resolution's 20
    assert view["due_at"] == min(m["due"] for m in view["sla"]["milestones"] if m["state"] == "running")
    assert view["due_at"] < view["resolution_due"]
    assert session.get("/console/queue").status_code == 200


def test_a_ticket_without_milestones_shows_no_milestone_action(client, uk_firm):
    made = body(uk_firm.call("POST", "/api/tickets", uk_firm.report(category="repairs", urgency="routine")))
    assert "milestones" not in made["sla"]
    from tests.console.conftest import Session
    page = Session(client, uk_firm.admin_email).get(f"/console/tickets/{made['id']}").body.decode()
    assert 'id="act-milestone"' not in page and "act-acknowledge" in page

"""Ticket use cases: resident intake, staff intake, reading, the queue and lifecycle events."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

from ..domain import escalation as chain
from ..domain import follow_ups
from ..domain import tickets as rules
from ..domain import tokens
from ..domain.errors import Conflict, InvalidInput, NotFound, PreconditionRequired, TransitionRefused
from ..domain.fields import Choice, Shape, Text
from ..domain.identity import Identity
from ..domain.standards import Standards
from ..settings import settings
from ..store import escalations as watch_store
from ..store import tenants as tenant_store
from ..store import tickets as store

# Without an explicit key, an identical report within this window is taken as a retry.
CONTENT_KEY_WINDOW = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def watch_for(ticket: rules.Ticket, escalation: dict, firm: dict, survey: dict | None = None):
    """The ticket's escalation plan (and survey invitation, given the firm's ``survey``
    settings), with who each step tells as the chain stands now."""
    from ..domain import retention
    planned = chain.plan(ticket, escalation or {}, survey)
    if ticket.follows_incident:  # merged behind an incident's lead, which escalates for both (domain/incidents.py)
        planned = [step for step in planned if step.kind not in chain.STEPS]
    steps = sorted(planned + retention.steps(ticket, retention.settings_of(firm.get("resident_page"))),
                   key=lambda s: (s.at, s.key))
    recipients = {kind: chain.recipients(escalation or {}, kind) for kind in chain.STEPS}
    recipients["visit"] = chain.resident_channels(ticket.contact) if ticket.visit_at else []
    if any(step.kind == "survey" for step in steps):
        recipients["survey"] = chain.resident_channels(ticket.contact)
    # the category by its names (messages show names, never keys); the key only when none is known
    names = (firm.get("category_names") or {}).get(ticket.category)
    info = {"number": ticket.number, "category": names or ticket.category, "unit": ticket.unit,
            "firm": firm.get("name", ""), "locale": firm.get("locale", "en"), "time_zone": firm.get("time_zone", "UTC"),
            "service_phone": _service_phone(firm, ticket)}
    if ticket.targets.get("milestones"):  # their names, for the messages and timeline of their steps
        info["milestones"] = {m["key"]: m.get("name") or {} for m in ticket.targets["milestones"]}
    return watch_store.watch_item(ticket.tenant_id, ticket, steps, recipients, info)


def _service_phone(firm: dict, ticket: rules.Ticket) -> str:
    """The number residents may call about this ticket: its property's, else the firm's."""
    from ..domain.resident_page import phone_for
    return phone_for(firm.get("resident_page"), ticket.property_id)


def watch_after(ticket: rules.Ticket, context):
    """The escalation watch for a changed ticket, from the standards and firm read with it."""
    from ..domain.standards import survey_settings
    names = {c["key"]: c.get("name") or {} for c in context.standards.get("categories") or []}
    return watch_for(ticket, context.standards.get("escalation") or {}, {**context.firm, "category_names": names},
                     survey_settings(context.standards))


def tracking_url(token: str) -> str:
    return f"{settings().public_base_url}/t/{token}"


def submit_report(slug: str, body: object, *, idempotency_key: str | None = None,
                  now: datetime | None = None, source_ip: str = "", notice_version: str | None = None,
                  locale: str | None = None) -> tuple[dict, bool]:
    """A resident's report becomes a ticket. Returns (answer, replayed).

    Round trips: one UpdateItem on the slug (tenant, standards summary and a ticket number in
    one call) and one transaction (unit check, ticket, 'received' event, idempotency claim).
    A retry with the same key or form nonce answers the first ticket, never a second one.
    """
    now = now or _now()
    loose = rules.intake_shape().fields | {"category": Text(max_len=40), "urgency": Text(max_len=40)}
    report = Shape(fields=loose).parse_body(body)
    key = idempotency_key or report.get("nonce")
    if key is not None:
        _check_key(key)
    profile = tenant_store.intake_profile(slug, take_ticket_number=True)
    standards = profile.standards()
    _check_classification(report, standards)

    fingerprint = _fingerprint({k: v for k, v in report.items() if k != "nonce"})
    if key is None:
        key, window = f"content:{fingerprint}", CONTENT_KEY_WINDOW
    else:
        window = timedelta(hours=settings().idempotency_hours)
    ticket_id = tokens.new_id()
    token = tokens.issue(profile.tenant_id, ticket_id)
    from ..domain.resident_page import consent, notice_version as current_notice  # the notice they were shown
    report = {**report, "contact": consent(report.get("contact") or {},
                                           notice_version or current_notice(profile.resident_page), now)}
    ticket = rules.new_ticket(ticket_id=ticket_id, tenant_id=profile.tenant_id, number=profile.ticket_number or 0,
                              report=report, standards=standards, now=now, tracking_digest=token.digest)
    answer = {
        "ticket": {"number": ticket.number, "status": ticket.status, "tracking_token": token.token,
                   "tracking_url": tracking_url(token.token), "created_at": rules._iso(now)},
        "promised": {"first_response_by": rules._iso(ticket.first_response_due),
                     "resolution_by": rules._iso(ticket.resolution_due)},
    }
    claim = store.IdempotencyClaim(key_digest=hashlib.sha256(key.encode()).hexdigest(), fingerprint=fingerprint,
                                   response=answer, expires_at=now + window)
    firm = {"name": profile.name, "locale": profile.locale, "time_zone": profile.time_zone,
            "resident_page": profile.resident_page, "category_names": profile.category_names}
    received = rules.received_event(ticket, tokens.new_id())
    from . import notices
    ticket, link, notice = notices.first(ticket, token.token, received, firm, profile.messages, locale)
    watch = watch_for(ticket, profile.escalation, firm)
    from .find_reports import contact_references  # findable again by phone / e-mail (domain/contacts.py)
    from .limits import report_limits
    replay = _create_checking_unit(profile.tenant_id, ticket, received, claim,
                                   watch, report_limits(profile.tenant_id, source_ip, now),
                                   contact_references(profile.tenant_id, ticket, token.token, profile.time_zone),
                                   (link, notice))
    if replay is not None:
        return replay.response, True
    return answer, False


def _check_classification(report: dict, standards: Standards) -> None:
    """Category and urgency must be keys of the firm's own standards (known only after the
    slug is resolved, so checked after the shape)."""
    problems: dict[str, str] = {}
    for name, options in (("category", standards.categories), ("urgency", standards.priorities)):
        if report.get(name) is not None:
            Choice(options=options).parse(report[name], name, problems)
    if problems:
        raise InvalidInput("Some fields need attention.", problems)


def _check_key(key: str) -> None:
    problems: dict[str, str] = {}
    Text(max_len=128, pattern=r"[A-Za-z0-9_\-.:]{8,128}",
         pattern_reason="must be 8-128 letters, digits or _-.:").parse(key, "idempotency_key", problems)
    if problems:
        raise InvalidInput("The Idempotency-Key header is not valid.", problems)


def _fingerprint(report: dict) -> str:
    return hashlib.sha256(json.dumps(report, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _create(tenant_id: str, ticket: rules.Ticket, received: rules.Event, claim: store.IdempotencyClaim | None,
            unit_check: str, watch, limits: tuple, also: tuple = (), told: tuple = (None, None)
            ) -> store.Replay | None:
    """One transaction, or two when the unit reported the same category within 30 days
    (then the ticket is written again marked as a repeat complaint)."""
    check = store.RepeatCheck(store.repeat_sk(ticket), ticket.created_at - rules.REPEAT_WITHIN)
    from ..store.search import number_item
    also = (*also, number_item(tenant_id, ticket))  # staff find it by its number
    try:
        return store.create(tenant_id, ticket, received, claim=claim, unit_check=unit_check, watch=watch,
                            limits=limits, repeat=check, also=also, link=told[0], notice=told[1])
    except store.RepeatFound:
        return store.create(tenant_id, dataclasses.replace(ticket, repeat=True), received, claim=claim,
                            unit_check=unit_check, watch=watch, limits=limits, repeat=check, also=also,
                            link=told[0], notice=told[1])


def _create_checking_unit(tenant_id: str, ticket: rules.Ticket, received: rules.Event,
                          claim: store.IdempotencyClaim | None, watch=None, limits: tuple = (),
                          also: tuple = (), told: tuple = (None, None)) -> store.Replay | None:
    try:
        return _create(tenant_id, ticket, received, claim, "unit", watch, limits, also, told)
    except store.UnitNotRegistered:
        pass
    # Only when the unit was not found: say which part is wrong, or accept a typed unit in a
    # building whose units were never registered.
    which = store.explain_unit(tenant_id, ticket.property_id, ticket.building_id)
    if which == "typed-ok":
        try:
            return _create(tenant_id, ticket, received, claim, "building", watch, limits, also, told)
        except store.UnitNotRegistered:
            which = "unit"
    reasons = {"property_id": "is not one of this firm's properties",
               "building_id": "is not a building of the chosen property",
               "unit": "is not a registered unit of the chosen building"}
    raise InvalidInput("Some fields need attention.", {which: reasons[which]})


def create_by_staff(who: Identity, body: object, *, now: datetime | None = None, communal: bool = False) -> dict:
    """Staff log a report taken by phone or at the desk (no idempotency key: staff see the queue).
    ``communal``: a fault of a shared area (an inspection's failed item), filed under the
    building with no registered unit to check."""
    now = now or _now()
    loose = rules.intake_shape(staff=True).fields | {"category": Text(max_len=40), "urgency": Text(max_len=40)}
    report = Shape(fields=loose).parse_body(body)
    profile = tenant_store.take_ticket_number(who.tenant_id)
    standards = profile.standards()
    _check_classification(report, standards)
    ticket_id = tokens.new_id()
    token = tokens.issue(who.tenant_id, ticket_id)
    ticket = rules.new_ticket(ticket_id=ticket_id, tenant_id=who.tenant_id, number=profile.ticket_number or 0,
                              report=report, standards=standards, now=now, tracking_digest=token.digest,
                              source=report.get("source") or "staff")
    received = rules.Event(id=tokens.new_id(), type="received", at=now, actor=who.actor, public=True,
                           data={"number": ticket.number, "source": ticket.source})
    firm = {"name": profile.name, "locale": profile.locale, "time_zone": profile.time_zone,
            "resident_page": profile.resident_page, "category_names": profile.category_names}
    from . import notices
    ticket, link, notice = notices.first(ticket, token.token, received, firm, profile.messages, None)
    watch = watch_for(ticket, profile.escalation, firm)
    from .find_reports import contact_references  # a report taken by phone is findable again too
    references = contact_references(who.tenant_id, ticket, token.token, profile.time_zone)
    if communal:
        try:
            _create(who.tenant_id, ticket, received, None, "communal", watch, (), references, (link, notice))
        except store.UnitNotRegistered:
            raise InvalidInput("Some fields need attention.",
                               {"building_id": "is not a building of the chosen property"}) from None
    else:
        _create_checking_unit(who.tenant_id, ticket, received, None, watch, (), references, (link, notice))
    view = rules.staff_view(ticket, [received])
    view["tracking_url"] = tracking_url(token.token)
    return view


def read(who: Identity, ticket_id: str) -> dict:
    ticket, events = store.get(who.tenant_id, ticket_id)
    return _with_photo_links(ticket, rules.staff_view(ticket, events))


def _with_photo_links(ticket: rules.Ticket, view: dict) -> dict:
    if ticket.photos:
        from . import photos
        view["photos"] = photos.links(ticket.tenant_id, ticket.id, ticket.photos)
    return view


def track(token: str) -> dict:
    """A resident's tracking link. An unknown, altered or foreign token answers NotFound."""
    return track_ticket(token)[1]


def ticket_by_link(token: str) -> tuple[rules.Ticket, list]:
    """The ticket behind a live tracking link and its timeline; NotFound for anything else."""
    capability = tokens.read(token)
    if capability is None:
        raise NotFound("No such tracking link.")
    ticket, events = store.get(capability.tenant_id, capability.subject_id)
    if not tokens.matches(capability, ticket.tracking_digest):
        raise NotFound("No such tracking link.")
    return ticket, events


def track_ticket(token: str) -> tuple[rules.Ticket, dict]:
    """The ticket behind a tracking link (for the page's own reads, e.g. its property) and its public view."""
    ticket, events = ticket_by_link(token)
    return ticket, _with_photo_links(ticket, rules.public_view(ticket, events, _now()))


# A second identical resident message within this window is a double tap, not a new message.
DOUBLE_TAP_WINDOW = timedelta(seconds=60)


def resident_reply(token: str, body: object, *, now: datetime | None = None, with_view: bool = True) -> dict:
    """The resident answers the question staff wait on them with (only while waiting).
    ``body`` is the text, or ``{"body": text}``."""
    return _resident_act(token, "reply", body if isinstance(body, dict) else {"body": body}, now, with_view)


def resident_not_fixed(token: str, body: object, *, now: datetime | None = None, with_view: bool = True) -> dict:
    """The resident says a resolved ticket is not fixed (within 14 days): it reopens.
    ``body`` is the reason, or ``{"reason": text}``."""
    return _resident_act(token, "not_fixed", body if isinstance(body, dict) else {"reason": body}, now, with_view)


ESCALATION_KEY = "escalate.{ticket_id}"  # the next-stage report's idempotency key: one per report


def resident_escalate(token: str, body: object, *, now: datetime | None = None, locale: str | None = None) -> dict:
    """The resident takes an answered complaint to its next stage (the Complaint Handling
    Code's stage 1 to stage 2): a new report in the category the firm's standards name
    (``escalates_to``), with its own number, link, promises and milestones, the reason as
    its description and the same contact; on this report an event names it. Exactly once: a
    retry, a second tap or a race answers the same next-stage report.

    Returns {"number", "tracking_url"?, "tracking_token"?, "replayed"}: the link is known
    while the first request's answer is kept (the idempotency window), the number always.
    Round trips: one BatchGet, one Query of the timeline, then the intake's two and the
    event's transaction."""
    now = now or _now()
    capability, context = _by_link(token)
    ticket = context.ticket
    payload = rules.parse_resident_event("escalate", body if isinstance(body, dict) else {"reason": body})
    to = Standards(context.standards).escalates_to(ticket.category) if context.standards else None
    if to is None:
        raise TransitionRefused("This report has no further stage.",
                                {"type": "the firm's standards give this category no next stage"})
    key = ESCALATION_KEY.format(ticket_id=ticket.id)
    _, events = store.get(capability.tenant_id, ticket.id)
    if (done := _escalated(events)) is not None:
        return _escalation_answer(capability.tenant_id, done, key)
    rules.apply(ticket, "escalate", {**payload, "number": 0}, rules.RESIDENT, now, "")  # refused before any write
    contact = {k: v for k, v in (ticket.contact or {}).items() if k in ("name", "phone", "email", "notify") and v}
    report = {"property_id": ticket.property_id, "building_id": ticket.building_id, "unit": ticket.unit,
              "category": to, "urgency": ticket.urgency, "description": payload["reason"],
              **({"contact": contact} if contact else {})}
    answer, replayed = submit_report(context.firm.get("slug") or "", report, idempotency_key=key, now=now,
                                     locale=locale or (ticket.notice or {}).get("locale"))
    number = answer["ticket"]["number"]
    try:
        after, event = rules.apply(ticket, "escalate", {**payload, "number": number}, rules.RESIDENT, now,
                                   tokens.new_id())
        from . import notices
        notices.record(capability.tenant_id, ticket, after, event, context, now, watch=watch_after(after, context))
    except (Conflict, TransitionRefused):  # a race: the other request named the next stage first
        _, events = store.get(capability.tenant_id, ticket.id)
        if _escalated(events) is None:
            raise
        replayed = True
    return {"number": number, "tracking_token": answer["ticket"]["tracking_token"],
            "tracking_url": answer["ticket"]["tracking_url"], "replayed": replayed}


def _by_link(token: str):
    """The tracking link's capability and the ticket with its firm and standards (one
    BatchGet); NotFound for a link that is not a live one of this ticket."""
    capability = tokens.read(token)
    if capability is None:
        raise NotFound("No such tracking link.")
    context = store.get_for_change(capability.tenant_id, capability.subject_id, None)
    if not tokens.matches(capability, context.ticket.tracking_digest):
        raise NotFound("No such tracking link.")
    return capability, context


def _escalated(events: list[rules.Event]) -> rules.Event | None:
    return next((e for e in events if e.type == "escalation_requested"), None)


def _escalation_answer(tenant_id: str, done: rules.Event, key: str) -> dict:
    """A later request: the next stage's number, and its link while the first answer is kept."""
    kept = store.kept_answer(tenant_id, hashlib.sha256(key.encode()).hexdigest())
    answer = {"number": done.data.get("number"), "replayed": True}
    if kept is not None:
        answer.update(tracking_token=kept["ticket"]["tracking_token"], tracking_url=kept["ticket"]["tracking_url"])
    return answer


def _resident_act(token: str, action: str, body: dict, now: datetime | None, with_view: bool) -> dict:
    """Round trips: one BatchGet (ticket, standards, firm) and one transaction guarded by the
    version read; the JSON answer's timeline is one more Query (``with_view``). Only when the
    action is refused or loses a race is the timeline read to tell a double tap (the same
    text again within a minute: answered with the current view, nothing written) from a
    real refusal."""
    now = now or _now()
    capability, context = _by_link(token)
    ticket = context.ticket
    payload = rules.parse_resident_event(action, body)  # after the link: a forged one learns nothing
    try:
        after, event = rules.apply(ticket, action, payload, rules.RESIDENT, now, tokens.new_id())
        from . import notices
        notices.record(capability.tenant_id, ticket, after, event, context, now, watch=watch_after(after, context))
    except (TransitionRefused, Conflict):
        current, events = store.get(capability.tenant_id, ticket.id)
        if _is_double_tap(action, payload, events, now):
            return rules.public_view(current, events)
        raise
    if not with_view:
        return {"status": after.status}
    current, events = store.get(capability.tenant_id, ticket.id)
    return rules.public_view(current, events)


def _is_double_tap(action: str, payload: dict, events: list[rules.Event], now: datetime) -> bool:
    mine = [e for e in events if e.actor.kind == "resident" and e.type in ("resident_replied", "reopened")]
    if not mine:
        return False
    last = mine[-1]
    same = (last.type == "resident_replied" and action == "reply" and last.data.get("body") == payload["body"]) or \
        (last.type == "reopened" and action == "not_fixed" and last.data.get("reason") == payload["reason"])
    return same and abs(now - last.at) <= DOUBLE_TAP_WINDOW


def queue(who: Identity, params: dict) -> dict:
    flt_shape = Shape(fields={
        "status": Choice(options=rules.STATES, required=False),
        "category": Text(required=False, max_len=40),
        "property_id": Text(required=False, max_len=26),
        "assignee": Text(required=False, max_len=64, description="a staff id, 'me' or 'none'"),
        "limit": Text(required=False, max_len=3, pattern=r"[1-9][0-9]?|100", pattern_reason="must be 1 to 100"),
        "cursor": Text(required=False, max_len=1000),
    })
    q = flt_shape.parse_body(params)
    assignee = who.sub if q.get("assignee") == "me" else q.get("assignee")
    flt = store.QueueFilter(status=q.get("status"), category=q.get("category"), property_id=q.get("property_id"),
                            assignee=assignee)
    tickets, cursor = store.queue(who.tenant_id, flt, limit=int(q.get("limit") or 25), cursor=q.get("cursor"))
    return {"tickets": [rules.staff_view(t) for t in tickets], "next_cursor": cursor}


def parse_version(if_match: str | None) -> int:
    """The version in an ``If-Match`` header: one strong entity tag, ``"3"``. A weak tag
    (``W/"3"``) promises only "about the same" (RFC 9110 §13.1.1 compares strongly), a list or
    ``*`` names no single version: each is refused rather than guessed."""
    if not if_match:
        raise PreconditionRequired("Send the ticket's version in an If-Match header.",
                                   {"If-Match": "is required; use the ETag from reading the ticket"})
    text = if_match.strip()
    if text.startswith(("W/", "w/")):
        raise InvalidInput("The If-Match header must be the strong ETag you read.",
                           {"If-Match": 'must be a strong ETag like "3", not a weak one (W/"3")'})
    found = re.fullmatch(r'"?([0-9]{1,9})"?', text)
    if not found or (text.startswith('"') != text.endswith('"')):
        raise InvalidInput("The If-Match header is not a version we gave you.", {"If-Match": 'must look like "3"'})
    return int(found[1])


def record_event(who: Identity, ticket_id: str, body: object, if_match: str | None,
                 *, now: datetime | None = None) -> dict:
    """Staff act on a ticket. Round trips: one read (BatchGet of ticket + assignee when assigning)
    and one transaction guarded by the version the caller saw."""
    now = now or _now()
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise InvalidInput("Say what happened.", {"type": "must be one of: " + ", ".join(rules.ACTIONS)})
    action = body["type"]
    payload = rules.parse_event(action, {k: v for k, v in body.items() if k != "type"})
    expected = parse_version(if_match)
    assignee_sub = payload.get("assignee") if action == "assign" else None
    context = store.get_for_change(who.tenant_id, ticket_id, assignee_sub)
    ticket, assignee = context.ticket, context.assignee
    if ticket.version != expected:
        raise Conflict("Someone else changed this ticket first. Reload it and try again.",
                       {"If-Match": f"version {expected} is no longer current; the ticket is at {ticket.version}"})
    if assignee_sub and (assignee is None or not assignee.active):
        raise InvalidInput("That person cannot be assigned.", {"assignee": "is not an active staff member of this firm"})
    after, event = rules.apply(ticket, action, payload, who.actor, now, tokens.new_id(),
                               assignee_name=assignee.name if assignee else None)
    also = ()
    if action == "follow_up" and follow_ups.open_call(ticket):  # the call a low survey answer asked for
        from ..store import follow_ups as follow_up_store
        after = follow_ups.closed(after, now)
        also = (follow_up_store.entry(who.tenant_id, after),)
    from . import notices
    after = notices.record(who.tenant_id, ticket, after, event, context, now, assignee_must_be_active=assignee_sub,
                           watch=watch_after(after, context), also=also)
    return rules.staff_view(after, None) | {"event": {"id": event.id, "type": event.type}}


def change(who: Identity, ticket_id: str, body: object, if_match: str | None,
           *, now: datetime | None = None) -> dict:
    """PATCH: re-classify a ticket (category, urgency). Promised times are re-targeted from the
    ticket's creation and the change is recorded on its timeline."""
    now = now or _now()
    data = Shape(fields={"category": Text(required=False, max_len=40),
                         "urgency": Text(required=False, max_len=40)}).parse_body(body)
    if not any(data.values()):
        raise InvalidInput("Nothing to change.", {"body": "send category and/or urgency"})
    expected = parse_version(if_match)
    context = store.get_for_change(who.tenant_id, ticket_id, None)
    ticket, standards = context.ticket, Standards(context.standards)
    _check_classification(data, standards)
    if ticket.version != expected:
        raise Conflict("Someone else changed this ticket first. Reload it and try again.",
                       {"If-Match": f"version {expected} is no longer current; the ticket is at {ticket.version}"})
    after, event = rules.reclassify(ticket, standards, category=data.get("category"), urgency=data.get("urgency"),
                                    actor=who.actor, now=now, event_id=tokens.new_id())
    store.record_event(who.tenant_id, ticket, after, event,
                       watch=watch_after(after, context))
    return rules.staff_view(after, None)

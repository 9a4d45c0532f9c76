"""Ticket storage. Every function takes the tenant id first; keys are built from it here
and nowhere else, so a caller cannot reach another tenant's ticket by passing its id.

Round trips: create = 1 TransactWriteItems; read = 1 Query (head + timeline);
lifecycle event = 1 TransactWriteItems guarded by the version read; queue page = 1 Query.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict, InvalidInput, MalformedRequest, NotFound, RateLimited
from ..domain.tickets import DONE_STATES, OPEN_STATES, Event, Ticket
from ..domain import metering as usage_rules
from . import metering, state_counts
from .items import (cancel_reasons, connection, event_from_item, event_item, iso_utc, plain, ticket_from_item,
                    ticket_item, ticket_sk)
from .models import (BuildingItem, CounterItem, EventItem, IdempotencyItem, Item, PropertyItem, RecentItem, TicketItem,
                     UnitItem, UserItem, tenant_pk)

def idempotency_sk(key_digest: str) -> str:
    return f"IDEM#{key_digest}"


# --- mapping ---------------------------------------------------------------------------

def score_change(before: Ticket | None, after: Ticket) -> dict:
    """The score counters to ADD for this change of a ticket (its survey answer included,
    so a re-categorised or reassigned ticket takes its answer along). The zone is the one
    the ticket was created under, so every delta of a ticket is counted in the same periods.
    The year's Tenant Satisfaction Measures counters (repairs within target, complaints) ride
    along: one more item, only when the ticket is created or first resolved."""
    from ..domain import scores as score_rules
    from ..domain import tsm
    zone = (after.calendar or {}).get("time_zone") or "UTC"
    change = score_rules.ticket_change(before, after, zone, responses_before=_answers(before),
                                       responses_after=_answers(after))
    return {**change, **tsm.ticket_change(before, after, zone)}


def _answers(ticket: Ticket | None) -> list:
    if ticket is None or not ticket.survey:
        return []
    from ..domain import scores as score_rules
    answer = dict(ticket.survey)
    answer["at"] = datetime.fromisoformat(answer["at"].replace("Z", "+00:00"))
    answer["scale"] = tuple(answer.get("scale") or (1, 5))
    return [score_rules.SurveyResponse(**{k: v for k, v in answer.items() if k in SURVEY_FIELDS})]


SURVEY_FIELDS = ("at", "rating", "nps", "fixed_first_visit", "servqual", "scale", "weights")


# --- create ------------------------------------------------------------------------------

@dataclass(frozen=True)
class IdempotencyClaim:
    key_digest: str
    fingerprint: str
    response: dict
    expires_at: datetime


@dataclass(frozen=True)
class Replay:
    """A retried submission: the answer the first attempt gave."""
    response: dict


@dataclass(frozen=True)
class Limit:
    """One fixed-window counter checked in the same transaction as the ticket it counts."""
    sk: str  # under the tenant's partition, e.g. RATE#ip#<hash>#<window>
    limit: int
    expires_at: int
    scope: str  # "ip" | "firm": which limit said no


def take(tenant_id: str, limit: Limit) -> bool:
    """Count one against a fixed-window limit on its own (one UpdateItem, for actions that
    write nothing else): False, and nothing counted, when the window is full."""
    from pynamodb.exceptions import UpdateError
    try:
        CounterItem(tenant_pk(tenant_id), limit.sk).update(
            actions=[CounterItem.count.add(1), CounterItem.expires_at.set(limit.expires_at)],
            condition=CounterItem.count.does_not_exist() | (CounterItem.count < limit.limit))
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


class UnitNotRegistered(Exception):
    """The ticket's unit is not in the register (the caller decides what that means)."""


@dataclass(frozen=True)
class RepeatCheck:
    """The unit's last report of this category (``REPEAT#…``): a report within the window
    after it is a repeat complaint. Checked and moved in the creating transaction."""
    sk: str
    cutoff: datetime  # an earlier report after this time makes this one a repeat


class RepeatFound(Exception):
    """The unit reported this category within the window: create again with repeat=True."""


def repeat_sk(ticket: Ticket) -> str:
    return f"REPEAT#{ticket.property_id}#{ticket.building_id}#{ticket.unit.upper()}#{ticket.category}"


def create(tenant_id: str, ticket: Ticket, received: Event, *, claim: IdempotencyClaim | None,
           unit_check: str = "unit", watch=None, limits: tuple[Limit, ...] = (),
           repeat: RepeatCheck | None = None, also: tuple = (), notice=None, link=None) -> Replay | None:
    """Write a new ticket, its 'received' event and the idempotency claim in one transaction,
    with the rate-limit counters, the repeat-complaint marker and the score counters.

    ``unit_check`` is ``"unit"`` (the unit must be in the register), ``"building"`` (the
    building must exist and have no units registered, so a typed unit is accepted) or
    ``"communal"`` (the building must exist: a fault of its shared areas).
    Returns a Replay when the claim was already taken by an earlier attempt. Raises
    RepeatFound when ``ticket.repeat`` is False but the marker says it is a repeat.
    """
    from . import scores
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            if unit_check == "unit":
                tx.condition_check(UnitItem, pk, unit_sk(ticket.property_id, ticket.building_id, ticket.unit),
                                   condition=UnitItem.pk.exists())
            elif unit_check == "communal":  # a shared area of the building: no unit to check
                tx.condition_check(BuildingItem, pk, building_sk(ticket.property_id, ticket.building_id),
                                   condition=BuildingItem.pk.exists())
            else:
                tx.condition_check(BuildingItem, pk, building_sk(ticket.property_id, ticket.building_id),
                                   condition=BuildingItem.pk.exists() & (BuildingItem.has_units == False))  # noqa: E712
            tx.save(ticket_item(tenant_id, ticket), condition=TicketItem.pk.does_not_exist())
            tx.save(event_item(tenant_id, ticket.id, received), condition=EventItem.pk.does_not_exist())
            if claim:
                record = IdempotencyItem(pk, idempotency_sk(claim.key_digest), fingerprint=claim.fingerprint,
                                         response=claim.response, created_at=ticket.created_at,
                                         expires_at=int(claim.expires_at.timestamp()))
                # An expired claim may be taken again: TTL deletion is lazy, correctness must not wait for it.
                tx.save(record, condition=IdempotencyItem.pk.does_not_exist()
                        | (IdempotencyItem.expires_at < int(ticket.created_at.timestamp())))
            if watch is not None:
                tx.save(watch)  # after the claim: the indexes of the reasons above stay put
            for item in also:  # unconditional puts (the contact references of store/contacts.py)
                tx.save(item)
            if link is not None:  # the resident's messages: their short link and the first message
                tx.save(link, condition=Item.pk.does_not_exist())
            if notice is not None:
                from . import notices
                notices.add_to(tx, notice, ticket.created_at)
            for limit in limits:  # updates come after every put in the transaction's items
                tx.update(CounterItem(pk, limit.sk), actions=[CounterItem.count.add(1),
                                                              CounterItem.expires_at.set(limit.expires_at)],
                          condition=CounterItem.count.does_not_exist() | (CounterItem.count < limit.limit))
            if repeat is not None:
                tx.update(RecentItem(pk, repeat.sk), actions=[RecentItem.last_at.set(ticket.created_at)],
                          condition=None if ticket.repeat else (RecentItem.last_at.does_not_exist()
                                                                | (RecentItem.last_at < repeat.cutoff)))
            scores.add_to(tenant_id, tx, score_change(None, ticket))
            state_counts.add_to(tenant_id, tx, None, ticket.status)  # the reasons above keep their places
            metering.add_to(tenant_id, tx, ticket.created_at, {"reports": 1})  # last of all
    except TransactWriteError as error:
        metering.give_back(tenant_id)
        reasons = cancel_reasons(error)
        first_limit = 3 + (1 if claim else 0) + (1 if watch is not None else 0) + len(also) + (link is not None) \
            + (notice is not None)
        marker_at = first_limit + len(limits)
        failed = [i for i, r in enumerate(reasons) if r == "ConditionalCheckFailed"]
        for limit, reason in zip(limits, reasons[first_limit:marker_at]):
            if reason == "ConditionalCheckFailed" and not any(i < first_limit for i in failed):
                raise RateLimited("Too many reports in a short time. Please wait a few minutes and try again.",
                                  {"rate": f"the {limit.scope} limit of {limit.limit} reports was reached"}) from error
        if claim and 3 in failed:
            replay = find_replay(tenant_id, claim)
            if replay:
                return replay
        if 0 in failed:
            raise UnitNotRegistered() from error
        if repeat is not None and failed == [marker_at]:
            raise RepeatFound() from error
        if "TransactionConflict" in reasons:
            replay = find_replay(tenant_id, claim) if claim else None
            if replay:
                return replay
            raise Conflict("Another submission is being saved; try again.") from error
        raise
    return None


def find_replay(tenant_id: str, claim: IdempotencyClaim) -> Replay | None:
    try:
        record = IdempotencyItem.get(tenant_pk(tenant_id), idempotency_sk(claim.key_digest), consistent_read=True)
    except DoesNotExist:
        return None
    if record.fingerprint != claim.fingerprint:
        raise InvalidInput("This submission key was already used for a different report.",
                           {"idempotency_key": "was already used for a different report; send a new key"})
    return Replay(plain(record.response))


def kept_answer(tenant_id: str, key_digest: str) -> dict | None:
    """The answer kept for an idempotency key, while it is kept (one GetItem)."""
    try:
        return plain(IdempotencyItem.get(tenant_pk(tenant_id), idempotency_sk(key_digest), consistent_read=True).response)
    except DoesNotExist:
        return None


def unit_sk(property_id: str, building_id: str, unit_code: str) -> str:
    from ..domain.registry import unit_key
    return f"UNIT#{property_id}#{building_id}#{unit_key(unit_code)}"


def building_sk(property_id: str, building_id: str) -> str:
    return f"BUILDING#{property_id}#{building_id}"


def property_sk(property_id: str) -> str:
    return f"PROPERTY#{property_id}"


def explain_unit(tenant_id: str, property_id: str, building_id: str) -> str:
    """After a unit check failed: say which field is wrong, or 'typed-ok' when the building
    has no unit register and a typed unit may be accepted."""
    pk = tenant_pk(tenant_id)
    try:
        building = BuildingItem.get(pk, building_sk(property_id, building_id), consistent_read=True)
    except DoesNotExist:
        try:
            PropertyItem.get(pk, property_sk(property_id), consistent_read=True)
        except DoesNotExist:
            return "property_id"
        return "building_id"
    return "unit" if building.has_units else "typed-ok"


# --- read --------------------------------------------------------------------------------

def get(tenant_id: str, ticket_id: str, *, with_events: bool = True) -> tuple[Ticket, list[Event]]:
    """The ticket and its timeline in one Query; NotFound if absent (or not this tenant's)."""
    pk = tenant_pk(tenant_id)
    if not with_events:
        try:
            return ticket_from_item(tenant_id, TicketItem.get(pk, ticket_sk(ticket_id), consistent_read=True)), []
        except DoesNotExist:
            raise NotFound("No such ticket.") from None
    head: TicketItem | None = None
    events: list[Event] = []
    # begins_with: the head and its events; a shortened id would match another ticket's head,
    # so only the exact id counts (its events' keys extend the head's key with "#").
    for item in Item.query(pk, Item.sk.startswith(ticket_sk(ticket_id)), consistent_read=True):
        if isinstance(item, TicketItem) and item.ticket_id == ticket_id:
            head = item
        elif isinstance(item, EventItem) and item.sk.startswith(ticket_sk(ticket_id) + "#"):
            events.append(event_from_item(item))
    if head is None:
        raise NotFound("No such ticket.")
    events.sort(key=lambda e: (e.at, e.id))
    return ticket_from_item(tenant_id, head), events


# --- change ------------------------------------------------------------------------------

class GuardFailed(Conflict):
    """A guarded item written with a ticket change (e.g. its incident) was no longer at the
    version read: nothing was written."""


def record_event(tenant_id: str, before: Ticket, after: Ticket, event: Event, *,
                 assignee_must_be_active: str | None = None, watch=None, notice=None, also: tuple = (),
                 guarded: tuple = ()) -> None:
    """Save the changed ticket and its event if nobody changed the ticket since ``before``,
    with ``also`` (unconditional puts, e.g. the follow-up call's entry of store/follow_ups.py)
    and ``guarded`` ((item, condition) puts, e.g. the incident it joins, at its version read).

    Raises Conflict on a stale version (of the ticket or of a guarded item); InvalidInput if
    the assignee is not an active member of this tenant's staff (checked in the same transaction)."""
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(ticket_item(tenant_id, after),
                    condition=TicketItem.pk.exists() & (TicketItem.version == before.version))
            tx.save(event_item(tenant_id, after.id, event), condition=EventItem.pk.does_not_exist())
            if watch is not None:
                tx.save(watch)
            for item in also:
                tx.save(item)
            for item, condition in guarded:
                tx.save(item, condition=condition)
            if assignee_must_be_active:
                tx.condition_check(UserItem, pk, f"USER#{assignee_must_be_active}",
                                   condition=UserItem.pk.exists() & (UserItem.active == True))  # noqa: E712
            notice_as = None
            if notice is not None:  # the resident's message: opened, joined or cancelled with the event
                from . import notices
                notice_as = notices.add_to(tx, notice, after.updated_at)
            from . import scores
            scores.add_to(tenant_id, tx, score_change(before, after))
            state_counts.add_to(tenant_id, tx, before.status, after.status)
            metering.add_to(tenant_id, tx, event.at, usage_rules.ticket_event(event, after))  # last of all
    except TransactWriteError as error:
        metering.give_back(tenant_id)
        # PynamoDB sends condition checks first, then puts: with an assignee check the
        # ticket is item 1, otherwise item 0.
        reasons = cancel_reasons(error)
        ticket_at = 1 if assignee_must_be_active else 0
        if assignee_must_be_active and reasons[:1] == ["ConditionalCheckFailed"]:
            raise InvalidInput("That person cannot be assigned.",
                               {"assignee": "is not an active staff member of this firm"}) from error
        if notice_as == "update":  # updates follow the checks and the puts (ticket, event, watch)
            notice_at = ticket_at + 2 + (watch is not None) + len(also) + len(guarded)
            if len(reasons) > notice_at and reasons[notice_at] == "ConditionalCheckFailed" \
                    and reasons[ticket_at] in (None, "None"):
                from .notices import MessageTaken
                raise MessageTaken() from error
        if len(reasons) > ticket_at and reasons[ticket_at] in ("ConditionalCheckFailed", "TransactionConflict"):
            raise Conflict("Someone else changed this ticket first. Reload it and try again.",
                           {"If-Match": f"version {before.version} is no longer current"}) from error
        guarded_at = ticket_at + 2 + (watch is not None) + len(also)
        if any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons[guarded_at:][:len(guarded)]):
            raise GuardFailed("Someone else changed the incident first. Reload it and try again.",
                           {"If-Match": "the incident's version is no longer current"}) from error
        raise


# --- queue -------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    category: str | None = None
    property_id: str | None = None
    assignee: str | None = None  # a staff sub, or "none" for unassigned


_CURSOR_SK = re.compile(r"TICKET#[0-9A-Z]{26}")
_CURSOR_QSK = re.compile(r"[0-9T:.\-]{20,32}Z#[0-9A-Z]{26}")


def encode_cursor(group: str, last_key: dict) -> str:
    payload = {"g": group, "q": last_key["queue_sk"]["S"], "s": last_key["sk"]["S"]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(tenant_id: str, cursor: str, group: str) -> dict:
    """Rebuild DynamoDB's start key from an opaque cursor. The partition part always comes
    from the caller's tenant, never from the cursor, so a cursor cannot cross tenants."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        qsk, sk, g = payload["q"], payload["s"], payload["g"]
    except (ValueError, KeyError, TypeError):
        raise MalformedRequest("The cursor is not valid.", {"cursor": "is not a cursor this API gave out"}) from None
    if g != group or not isinstance(qsk, str) or not isinstance(sk, str) \
            or not _CURSOR_QSK.fullmatch(qsk) or not _CURSOR_SK.fullmatch(sk):
        raise MalformedRequest("The cursor is not valid.",
                               {"cursor": "is not a cursor this API gave out for these filters"})
    pk = tenant_pk(tenant_id)
    return {"pk": {"S": pk}, "sk": {"S": sk}, "queue_pk": {"S": f"{pk}#QUEUE#{group}"}, "queue_sk": {"S": qsk}}


def queue(tenant_id: str, flt: QueueFilter, *, limit: int = 25, cursor: str | None = None
          ) -> tuple[list[Ticket], str | None]:
    """One page of the queue: exactly one Query. Open tickets by next deadline first; done
    tickets most recent first. Filters narrow the page (a page may hold fewer than ``limit``
    tickets and still have a next cursor)."""
    group = "done" if flt.status in DONE_STATES else "open"
    queue_pk = f"{tenant_pk(tenant_id)}#QUEUE#{group}"
    condition = None
    for clause in _filters(flt):
        condition = clause if condition is None else condition & clause
    start = decode_cursor(tenant_id, cursor, group) if cursor else None
    results = Item.queue.query(queue_pk, filter_condition=condition, page_size=limit, last_evaluated_key=start,
                               scan_index_forward=(group == "open"))
    page = next(results.page_iter)
    tickets = [ticket_from_item(tenant_id, Item.from_raw_data(raw)) for raw in page.get("Items", [])]
    last = results.page_iter.last_evaluated_key
    return tickets, (encode_cursor(group, last) if last else None)


def export(tenant_id: str, done_since: datetime, done_before: datetime) -> list[Ticket]:
    """For a CSV: every open ticket, and the tickets finished in ``[since, before)``. Two
    Queries on the sparse queue index (more pages only past 1 MB each)."""
    found: list[Ticket] = []
    for item in Item.queue.query(f"{tenant_pk(tenant_id)}#QUEUE#open"):
        found.append(ticket_from_item(tenant_id, item))
    done = Item.queue.query(f"{tenant_pk(tenant_id)}#QUEUE#done",
                            Item.queue_sk.between(iso_utc(done_since), iso_utc(done_before)))
    found.extend(ticket_from_item(tenant_id, item) for item in done)
    return sorted(found, key=lambda t: t.number)


def _filters(flt: QueueFilter) -> Iterable:
    if flt.status:
        yield TicketItem.status == flt.status
    if flt.category:
        yield TicketItem.category == flt.category
    if flt.property_id:
        yield TicketItem.property_id == flt.property_id
    if flt.assignee == "none":
        yield TicketItem.assignee.does_not_exist()
    elif flt.assignee:
        yield TicketItem.assignee == flt.assignee


__all__ = ["create", "get", "record_event", "queue", "QueueFilter", "IdempotencyClaim", "Replay",
           "UnitNotRegistered", "explain_unit", "OPEN_STATES"]


@dataclass(frozen=True)
class ChangeContext:
    """What acting on a ticket needs, read in one BatchGetItem: the ticket, the would-be
    assignee, the firm (name, locale, zone) and its standards (for the escalation chain)."""
    ticket: Ticket
    assignee: object | None
    standards: dict
    firm: dict


def get_for_change(tenant_id: str, ticket_id: str, assignee_sub: str | None) -> ChangeContext:
    found = _read_for_change(tenant_id, [ticket_id], assignee_sub)
    if ticket_id not in found:
        raise NotFound("No such ticket.")
    return found[ticket_id]


def get_many_for_change(tenant_id: str, ticket_ids: list[str]) -> dict[str, ChangeContext]:
    """Several tickets with the firm and its standards, in one BatchGetItem (up to 98
    tickets); an id that is no ticket of this tenant is simply absent from the answer."""
    return _read_for_change(tenant_id, list(dict.fromkeys(ticket_ids)), None)


def _read_for_change(tenant_id: str, ticket_ids: list[str], assignee_sub: str | None) -> dict[str, ChangeContext]:
    from .models import StandardsItem, TenantItem
    from .items import user_from_item
    pk = tenant_pk(tenant_id)
    keys = [(pk, ticket_sk(ticket_id)) for ticket_id in ticket_ids] + [(pk, "STANDARDS"), (pk, "META")]
    keys += [(pk, f"USER#{assignee_sub}")] if assignee_sub else []
    heads, user, standards, firm = [], None, {}, {}
    for item in Item.batch_get(keys, consistent_read=True):
        if isinstance(item, TicketItem):
            heads.append(item)
        elif isinstance(item, UserItem):
            user = user_from_item(item)
        elif isinstance(item, StandardsItem):
            standards = plain(item.document)
        elif isinstance(item, TenantItem):
            firm = {"name": item.name, "locale": item.locale, "time_zone": item.time_zone, "slug": item.slug,
                    "resident_page": plain(item.resident_page)}  # its service phones (domain/resident_page.py)
    return {head.ticket_id: ChangeContext(ticket_from_item(tenant_id, head), user, standards, firm)
            for head in heads if head.ticket_id in ticket_ids}




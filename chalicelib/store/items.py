"""Item conversions every store module shares: the connection, the keys of a ticket and its
events, ticket and event items to domain objects and back, PynamoDB's raw maps to plain
Python, a transaction's cancellation reasons, and the work index's shard of a key.

The store modules import these from here, never from each other's private helpers, so the
arrows inside the layer run one way: items ← tickets, escalations, tenants, ... .
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import botocore.session
from botocore.loaders import JSONFileLoader, Loader
from pynamodb.connection import Connection as _PynamoConnection
from pynamodb.exceptions import TransactWriteError

from ..domain.tickets import Actor, Event, Ticket
from . import endpoints, schema
from .models import EventItem, TicketItem, UserItem, tenant_pk


class _DynamoDBLoader(Loader):
    """Botocore's model loader, told that PropDesk's store calls DynamoDB only.

    Before loading a model, botocore's own loader lists every service folder it ships (~420
    of them, once for the service model and once for the endpoint rules) only to check the
    name is known: ~15 ms of a cold start's first request. This one checks the one folder.
    The models themselves, the endpoint rules and botocore's code are the runtime's, as they
    would be without it."""

    SERVICES = endpoints.SERVICES

    def list_available_services(self, type_name):
        return [name for name in self.SERVICES
                if any(os.path.isdir(os.path.join(path, name)) for path in self.search_paths)]

    def load_data_with_path(self, name):
        """``endpoints`` is botocore's file cut to DynamoDB (``store/endpoints.py``: 9 kB to
        parse, not 1.2 MB), answered with the builtin file's path so botocore resolves exactly
        as with its own data (the endpoint rules decide the URL)."""
        if name != "endpoints":
            return super().load_data_with_path(name)
        return endpoints.load(), os.path.join(self.BUILTIN_DATA_PATH, "endpoints.json")


class _PlainJSONFileLoader(JSONFileLoader):
    """The same files as botocore's, decoded into plain dicts instead of OrderedDicts (a dict
    keeps its order since Python 3.7): half the time for the 1.2 MB endpoints.json every
    client reads."""

    def _load_file(self, full_path, open_method):
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read().decode("utf-8"))


class Connection(_PynamoConnection):
    """PynamoDB's connection over a botocore session with the loader above (one per thread,
    as PynamoDB keeps its own: botocore's client creation is not thread-safe)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sessions = threading.local()

    @property
    def session(self) -> botocore.session.Session:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = botocore.session.Session()
            data_path = session.get_config_variable("data_path")
            session.register_component("data_loader", _DynamoDBLoader(
                extra_search_paths=data_path.split(os.pathsep) if data_path else None,
                file_loader=_PlainJSONFileLoader()))
        return session


_connection: Connection | None = None


def connection() -> Connection:
    global _connection
    if _connection is None:
        _connection = Connection()
    return _connection


def ticket_sk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def event_sk(ticket_id: str, event_id: str) -> str:
    return f"TICKET#{ticket_id}#EV#{event_id}"


def iso_utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def queue_keys(tenant_id: str, ticket: Ticket) -> tuple[str, str]:
    """Open tickets sort by the next promise due; done ones by when they were finished."""
    if ticket.is_open:
        due = ticket.due_at or datetime.max.replace(tzinfo=timezone.utc)
        return f"{tenant_pk(tenant_id)}#QUEUE#open", f"{iso_utc(due)}#{ticket.id}"
    done_at = ticket.closed_at or ticket.resolved_at or ticket.updated_at
    return f"{tenant_pk(tenant_id)}#QUEUE#done", f"{iso_utc(done_at)}#{ticket.id}"


# --- mapping ---------------------------------------------------------------------------

_TICKET_FIELDS = ("number", "status", "category", "urgency", "property_id", "building_id", "unit", "description",
                  "source", "assignee", "assignee_name", "created_at", "updated_at", "first_response_at",
                  "resolved_at", "closed_at", "first_response_due", "resolution_due", "reopen_count",
                  "tracking_digest", "version", "last_public_update_at", "next_update_due", "visit_at",
                  "visits", "first_resolved_at", "followed_up_at", "repeat")


def ticket_item(tenant_id: str, ticket: Ticket) -> TicketItem:
    queue_pk, queue_sk = queue_keys(tenant_id, ticket)
    item = TicketItem(tenant_pk(tenant_id), ticket_sk(ticket.id), ticket_id=ticket.id,
                      contact=ticket.contact, entry=ticket.entry, queue_pk=queue_pk, queue_sk=queue_sk,
                      targets=ticket.targets, calendar=ticket.calendar, stops=ticket.stops, photos=ticket.photos,
                      survey=ticket.survey, notice=ticket.notice or None, incident=ticket.incident or None,
                      milestones=ticket.milestones_done or None)
    for name in _TICKET_FIELDS:
        setattr(item, name, getattr(ticket, name))
    for name, value in search_keys(tenant_id, ticket).items():
        setattr(item, name, value)
    return item


def search_keys(tenant_id: str, ticket: Ticket) -> dict:
    """The head's keys in the ``by_unit`` and ``by_phone`` indexes (none for a ticket
    without a phone, so erasing the contact takes it out of the phone index)."""
    from ..domain.registry import unit_key
    from ..domain.search import phone_last4
    order = f"{iso_utc(ticket.created_at)}#{ticket.id}"
    keys = {"unit_pk": f"{tenant_pk(tenant_id)}#UNIT#{unit_key(ticket.unit)}", "unit_sk": order}
    last4 = phone_last4((ticket.contact or {}).get("phone"))
    if last4:
        keys |= {"phone_pk": f"{tenant_pk(tenant_id)}#PHONE4#{last4}", "phone_sk": order}
    return keys


def ticket_from_item(tenant_id: str, item: TicketItem) -> Ticket:
    values = {name: getattr(item, name) for name in _TICKET_FIELDS}
    values["number"] = int(values["number"])
    values["version"] = int(values["version"])
    values["reopen_count"] = int(values["reopen_count"] or 0)
    values["visits"] = int(values["visits"] or 0)
    values["repeat"] = bool(values["repeat"])
    return Ticket(id=item.ticket_id, tenant_id=tenant_id, contact=plain(item.contact),
                  entry=plain(item.entry), targets=plain(item.targets), calendar=plain(item.calendar),
                  stops=plain_list(item.stops), photos=plain_list(item.photos),
                  survey=plain(item.survey) or None, notice=plain(item.notice), incident=plain(item.incident) or None,
                  milestones_done=plain(item.milestones), **values)


def event_item(tenant_id: str, ticket_id: str, event: Event) -> EventItem:
    return EventItem(tenant_pk(tenant_id), event_sk(ticket_id, event.id), event_id=event.id, type=event.type,
                     at=event.at, actor=event.actor.as_dict(), public=event.public, data=event.data)


def event_from_item(item: EventItem) -> Event:
    actor = plain(item.actor)
    return Event(id=item.event_id, type=item.type, at=item.at, public=bool(item.public),
                 actor=Actor(actor.get("kind", "system"), actor.get("sub", ""), actor.get("name", "")),
                 data=plain(item.data))


def plain(value):
    """PynamoDB raw maps → plain Python (Decimals from numbers become ints where whole)."""
    if value is None:
        return {}
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    return json.loads(json.dumps(value, default=_number))


def plain_list(value) -> list:
    return json.loads(json.dumps(list(value or []), default=_number))


def _number(value):
    return int(value) if value == int(value) else float(value)


def cancel_reasons(error: TransactWriteError) -> list[str | None]:
    """Cancellation reason codes by item. Note PynamoDB's order of items in a transaction:
    condition checks, then deletes, then puts, then updates — whatever order they were added."""
    return [r.code if r else None for r in (error.cancellation_reasons or [])]


def shard_of(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % schema.WORK_SHARDS



@dataclass(frozen=True)
class User:
    sub: str
    email: str
    name: str
    role: str
    active: bool
    version: int


def user_from_item(item: UserItem) -> User:
    return User(item.sub, item.email, item.name, item.role, bool(item.active), int(item.version))



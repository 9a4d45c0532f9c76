"""A firm's export: everything it owns as one ZIP in S3, written by the firm-data job
(services/firm_jobs.py) over as many Lambda runs as it takes.

The ZIP holds ``items/<kind>.jsonl`` (every item of the firm, one JSON object a line, kinds
named by the items' own ``kind``; domain/firm_data.py says what is left out), ``csv/tickets.csv``
and ``csv/scores-<month>.csv`` for Excel (services/exports.py's columns) and ``photos/…``.

It is built in phases, each a series of small steps; after any step the run may stop (the
Lambda's time is nearly up) and a later run continues:

1. ``items``: one Query page of the firm's partitions at a time. Each page's lines of a kind
   become one deflate chunk (domain/zipstream.py) appended to that kind's *stage*, kept in S3
   under the export's working prefix (a kind's file must be contiguous in the ZIP, and the
   pages mix kinds).
2. ``csv``: a scores CSV per month the counters cover.
3. ``assemble``: the stages, file by file, go into the ZIP.
4. ``photos``: the firm's photos, 100 keys a listing, each stored as it is.
5. ``finish``: the central directory, and the multipart upload is completed.

The ZIP is streamed into an S3 multipart upload (5 MiB parts); what is not yet a part waits
in a small object when a run stops. The checkpoint (cursor, the ZIP writer's state, the
stages' CRCs and sizes, the upload's parts) is a JSON object beside it. Chunks are made per
page whether or not a run stops, so a resumed export is byte for byte the uninterrupted one.
Memory stays at one page, one part and the stages' tails, whatever the firm's size.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from ..adapters import photo_storage as bucket
from ..domain import firm_data as rules
from ..domain.identity import Identity
from ..domain.tokens import new_id
from ..domain.zipstream import ZipStream, deflate_chunk
from ..observability import logger
from ..store import firm_data as store
from ..store import tenants as tenant_store
from ..store.items import ticket_from_item
from ..store.models import ExportItem, TicketItem
from . import exports

STAGE_BYTES = 1 << 20  # a stage's tail is written to S3 when it reaches this
PART_BYTES = 5 << 20  # S3's smallest part (all but the last)
PHOTOS_A_LISTING = 100
TICKETS_CSV = "csv/tickets.csv"


# --- what admins call ------------------------------------------------------------------------

def start(who: Identity, now: datetime | None = None) -> dict:
    """Queue an export; the next run of the firm-data job (within a minute) begins it."""
    who.require_admin()
    item = store.create_export(who.tenant_id, new_id(), who.sub, now or datetime.now(timezone.utc))
    return view(item)


def status(who: Identity, export_id: str, now: datetime | None = None) -> dict:
    who.require_admin()
    return view(store.get_export(who.tenant_id, export_id), link=True, now=now)


def listing(who: Identity, now: datetime | None = None) -> dict:
    who.require_admin()
    return {"exports": [view(item, link=True, now=now) for item in store.exports(who.tenant_id)]}


def view(item: ExportItem, link: bool = False, now: datetime | None = None) -> dict:
    """The export as admins see it; a finished one offers a fresh 24-hour link until it expires
    (rules.KEPT after it finished, when S3's lifecycle rule deletes the file)."""
    state = rules.export_state(item.status, item.finished_at, now or datetime.now(timezone.utc))
    answer = {"id": item.export_id, "status": state, "phase": item.phase, "items": int(item.items),
              "photos": int(item.photos), "created_at": item.created_at.isoformat(), "size": item.size and int(item.size),
              "finished_at": item.finished_at.isoformat() if item.finished_at else None}
    if link and state == "done" and item.key:
        seconds = int(rules.LINK_VALID.total_seconds())
        answer["download"] = {"url": bucket.download_url(item.key, f"propdesk-export-{item.created_at:%Y%m%d}.zip",
                                                         seconds), "expires_in": seconds}
    return answer


# --- the job ---------------------------------------------------------------------------------

def _prefix(item: ExportItem) -> str:
    return f"{item.tenant_id}/exports/{item.export_id}/"


class _Upload:
    """The ZIP's multipart upload: whole 5 MiB parts go up as they fill; ``save`` keeps the
    rest in a small object for the next run."""

    def __init__(self, key: str, pending_key: str, state: dict) -> None:
        self.key, self.pending_key = key, pending_key
        self.upload_id: str | None = state.get("upload_id")
        self.etags: list[str] = state.get("etags", [])
        self.buffer = bytearray(bucket.read(pending_key) if state.get("pending") else b"")

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= PART_BYTES:
            self._part(bytes(self.buffer[:PART_BYTES]))
            del self.buffer[:PART_BYTES]

    def _part(self, data: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = bucket.start_upload(self.key, "application/zip", rules.EXPORT_TAG)
        self.etags.append(bucket.upload_part(self.key, self.upload_id, len(self.etags) + 1, data))

    def save(self) -> dict:
        bucket.put_bytes(self.pending_key, bytes(self.buffer), tag=rules.EXPORT_TAG)
        return {"upload_id": self.upload_id, "etags": self.etags, "pending": True}

    def complete(self) -> None:
        self._part(bytes(self.buffer))
        self.buffer.clear()
        bucket.complete_upload(self.key, self.upload_id, self.etags)  # type: ignore[arg-type]


class _Run:
    def __init__(self, item: ExportItem) -> None:
        self.item, self.prefix = item, _prefix(item)
        state_key = self.prefix + "state.json"
        self.state_key = state_key
        existing = bucket.list_keys(state_key, limit=1)
        self.st: dict = json.loads(bucket.read(state_key)) if existing else {
            "phase": "items", "partition": 0, "start": None, "streams": {}, "periods": [], "items": 0, "photos": 0,
            "assemble": [0, 0], "photo_after": "", "zip": None, "upload": {}}
        self.zip = ZipStream(item.created_at.replace(tzinfo=None), self.st["zip"])
        self.upload = _Upload(f"{item.tenant_id}/exports/{item.export_id}.zip", self.prefix + "pending",
                              self.st["upload"])
        self.tails: dict[str, bytearray] = {}
        tenant = tenant_store.get_tenant(item.tenant_id)
        self.zone = ZoneInfo(tenant.time_zone)

    # a stream is one file of the ZIP, staged in S3 as chunks
    def _add(self, name: str, text: str) -> None:
        stream = self.st["streams"].setdefault(name, {"crc": 0, "size": 0, "chunks": 0})
        data = text.encode()
        stream["crc"] = zlib.crc32(data, stream["crc"])
        stream["size"] += len(data)
        tail = self.tails.setdefault(name, bytearray())
        tail += deflate_chunk(data)
        if len(tail) >= STAGE_BYTES:
            self._stage(name)

    def _stage(self, name: str) -> None:
        tail = self.tails.pop(name, None)
        if tail:
            stream = self.st["streams"][name]
            bucket.put_bytes(f"{self.prefix}stage/{name}/{stream['chunks']:06d}", bytes(tail), tag=rules.EXPORT_TAG)
            stream["chunks"] += 1

    def step(self) -> bool:
        """One step of the current phase; False when the export is finished."""
        return getattr(self, f"_{self.st['phase']}")()

    def _items(self) -> bool:
        st = self.st
        partitions = store.partitions(self.item.tenant_id)
        raws, st["start"], _ = store.page(partitions[st["partition"]], st["start"])
        raws += store.get_raw(store.outside_keys(raws))
        lines: dict[str, list[str]] = {}
        rows = []
        for raw in raws:
            item = rules.exported(store.plain_item(raw))
            if item is None:
                continue
            kind = item.get("kind")
            lines.setdefault(rules.entry_name(item), []).append(json.dumps(item, ensure_ascii=False, sort_keys=True))
            if kind == "ticket":
                rows.append(exports.ticket_row(ticket_from_item(self.item.tenant_id, TicketItem.from_raw_data(raw)),
                                               self.zone))
            elif kind == "score" and item["sk"].startswith("SCORE#M"):
                period = item["sk"].split("#")[1]
                if period not in st["periods"]:
                    st["periods"].append(period)
            st["items"] += 1
        for name in sorted(lines):
            self._add(name, "\n".join(lines[name]) + "\n")
        if rows:
            first = TICKETS_CSV not in st["streams"]
            self._add(TICKETS_CSV, exports.csv_text(rows, exports.TICKET_COLUMNS if first else None))
        if st["start"] is None:
            st["partition"] += 1
            if st["partition"] == len(partitions):
                st["phase"] = "csv"
        return True

    def _csv(self) -> bool:
        who = Identity(self.item.tenant_id, self.item.requested_by, "admin")
        for period in sorted(self.st["periods"]):
            _, text = exports.scores_csv(who, {"period": period})
            self._add(f"csv/scores-{period}.csv", text)
        self.st["phase"] = "assemble"
        return True

    def _assemble(self) -> bool:
        for name in list(self.tails):  # every stage is complete in S3 before it is copied
            self._stage(name)
        names = sorted(self.st["streams"])
        index, chunk = self.st["assemble"]
        if index == len(names):
            self.st["phase"] = "photos"
            return True
        stream = self.st["streams"][names[index]]
        if chunk == 0:
            self.upload.write(self.zip.open_entry(names[index]))
        if chunk < stream["chunks"]:
            self.upload.write(self.zip.data(bucket.read(f"{self.prefix}stage/{names[index]}/{chunk:06d}")))
            self.st["assemble"] = [index, chunk + 1]
        else:
            self.upload.write(self.zip.close_entry(stream["crc"], stream["size"]))
            self.st["assemble"] = [index + 1, 0]
        return True

    def _photos(self) -> bool:
        prefix = f"{self.item.tenant_id}/photos/"
        keys = bucket.list_keys(prefix, after=self.st["photo_after"], limit=PHOTOS_A_LISTING)
        for key in keys:
            self.upload.write(self.zip.stored_entry("photos/" + key[len(prefix):], bucket.read(key)))
            self.st["photos"] += 1
            self.st["photo_after"] = key
        if len(keys) < PHOTOS_A_LISTING:
            self.st["phase"] = "finish"
        return True

    def _finish(self) -> bool:
        self.upload.write(self.zip.finish())
        self.upload.complete()
        self.st["phase"] = "done"
        return False

    def checkpoint(self, now: datetime) -> None:
        for name in list(self.tails):
            self._stage(name)
        self.st["zip"] = self.zip.state()
        self.st["upload"] = self.upload.save()
        bucket.put_bytes(self.state_key, json.dumps(self.st).encode(), "application/json", rules.EXPORT_TAG)
        store.save_progress(self.item, phase=self.st["phase"], items=self.st["items"], photos=self.st["photos"],
                            next_run=now)

    def done(self, now: datetime) -> None:
        while True:  # the working objects (stages, pending part, checkpoint)
            keys = bucket.list_keys(self.prefix)
            if not keys:
                break
            bucket.delete_keys(keys)
        store.save_progress(self.item, phase="done", items=self.st["items"], photos=self.st["photos"], next_run=None,
                            key=self.upload.key, size=self.zip.offset, now=now)


def run(item: ExportItem, now: datetime, should_stop: Callable[[], bool]) -> bool:
    """Continue the export until it is finished (True) or ``should_stop`` says the run's time
    is up (False: checkpointed, due again at once)."""
    job = _Run(item)
    while job.step():
        if should_stop():
            job.checkpoint(now)
            logger.info("export paused", extra={"phase": job.st["phase"], "items": job.st["items"]})
            return False
    job.done(now)
    logger.info("export done", extra={"items": job.st["items"], "photos": job.st["photos"], "bytes": job.zip.offset})
    return True

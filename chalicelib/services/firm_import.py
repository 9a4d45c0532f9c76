"""A firm's export read back into an empty stack (an operator's tool, called from Python; no command yet).

Every line of ``items/*.jsonl`` becomes the item it was, keys and index keys included (so the
queue, the search indexes and the scheduled work find it again), and every ``photos/…`` entry
the object it was under the firm's prefix. The firm must not exist in the stack yet. People
are not in an export (no secrets leave): the firm's staff are invited again by the operator.
The CSVs are for people and are not read.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from ..adapters import photo_storage as bucket
from ..domain.errors import Conflict, InvalidInput
from ..store import firm_data as store

BATCH = 500
CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                 "heic": "image/heic", "gif": "image/gif"}


@dataclass
class Imported:
    tenant_id: str
    items: int
    photos: int


def _tenant_id(archive: zipfile.ZipFile) -> str:
    if "items/tenant.jsonl" not in archive.namelist():
        raise InvalidInput("This is not a PropDesk firm export.", {"file": "has no items/tenant.jsonl"})
    with archive.open("items/tenant.jsonl") as lines:
        return json.loads(lines.readline())["tenant_id"]


def load(source: BinaryIO) -> Imported:
    """Import one firm's export (a seekable ZIP file)."""
    archive = zipfile.ZipFile(source)
    tenant_id = _tenant_id(archive)
    _, _, present = store.page(store.partitions(tenant_id)[0], None, count_only=True)
    if present:
        raise Conflict("This firm is already in this stack.", {"file": "its firm exists here already"})
    items = photos = 0
    for name in archive.namelist():
        if name.startswith("items/") and name.endswith(".jsonl"):
            batch: list[dict] = []
            with archive.open(name) as raw:
                for line in io.TextIOWrapper(raw, encoding="utf-8"):
                    if line.strip():
                        batch.append(store.raw_item(json.loads(line)))
                    if len(batch) == BATCH:
                        store.put_raw(batch)
                        items, batch = items + len(batch), []
            store.put_raw(batch)
            items += len(batch)
        elif name.startswith("photos/") and not name.endswith("/"):
            extension = name.rsplit(".", 1)[-1].lower()
            bucket.put_photo(f"{tenant_id}/{name}", archive.read(name),
                             CONTENT_TYPES.get(extension, "application/octet-stream"))
            photos += 1
    return Imported(tenant_id, items, photos)

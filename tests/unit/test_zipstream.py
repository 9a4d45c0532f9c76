"""The resumable ZIP writer: what Python's own zipfile reads back, and the same bytes
whether an archive was written in one go or stopped and resumed from its saved state."""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from datetime import datetime

from chalicelib.domain.zipstream import ZipStream, deflate_chunk

WHEN = datetime(2026, 12, 5, 9, 30, 0)
PAGES = [b'{"n": 1}\n' * 500, "工单 二\n".encode() * 300, b"", b'{"n": 3}\n' * 7]
PHOTO = os.urandom(3000)


def write(stop_after: int | None = None) -> bytes:
    """The archive; with ``stop_after`` the writer is dropped after that many steps and a new
    one continues from its state as JSON (as a later Lambda run would)."""
    out = io.BytesIO()
    steps = [("open", "items/ticket.jsonl")] + [("chunk", p) for p in PAGES] + [("close", None), ("photo", PHOTO)]
    writer = ZipStream(WHEN)
    for i, (what, value) in enumerate(steps):
        if stop_after is not None and i == stop_after:
            writer = ZipStream(WHEN, json.loads(json.dumps(writer.state())))
        if what == "open":
            out.write(writer.open_entry(value))
        elif what == "chunk":
            out.write(writer.data(deflate_chunk(value)))
        elif what == "close":
            data = b"".join(PAGES)
            out.write(writer.close_entry(zlib.crc32(data), len(data)))
        else:
            out.write(writer.stored_entry("photos/t1/a.jpg", value))
    out.write(writer.finish())
    return out.getvalue()


def test_zipfile_reads_every_entry_back_intact():
    archive = zipfile.ZipFile(io.BytesIO(write()))
    assert archive.testzip() is None
    assert archive.namelist() == ["items/ticket.jsonl", "photos/t1/a.jpg"]
    assert archive.read("items/ticket.jsonl") == b"".join(PAGES)
    assert archive.read("photos/t1/a.jpg") == PHOTO


def test_a_stop_at_any_step_gives_the_same_bytes():
    whole = write()
    for stop in range(1, len(PAGES) + 3):
        assert write(stop_after=stop) == whole, stop


def test_many_entries_use_zip64_records():
    out = io.BytesIO()
    writer = ZipStream(WHEN)
    for i in range(70_000):
        out.write(writer.stored_entry(f"e/{i}", b"x"))
    out.write(writer.finish())
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert len(archive.namelist()) == 70_000 and archive.read("e/69999") == b"x"

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


# --- the bytes themselves, field by field (PKWARE APPNOTE 6.3: 4.3.7, 4.3.9, 4.3.12, 4.3.14-16,
# 4.5.3); Python's zipfile forgives a wrong version, date, disk number or shifted offsets, so
# each field is read here with struct and compared with the value the note asks for ----------

import struct  # noqa: E402

import pytest  # noqa: E402

from chalicelib.domain.zipstream import dos_time  # noqa: E402

MAX32 = 0xFFFFFFFF


@pytest.mark.parametrize("moment, expected", [
    # time = hour·2048 + minute·32 + second/2; date = (year - 1980)·512 + month·32 + day
    (datetime(2026, 12, 5, 9, 30, 17), (9 * 2048 + 30 * 32 + 8, 46 * 512 + 12 * 32 + 5)),
    (datetime(2099, 1, 31, 23, 59, 58), (23 * 2048 + 59 * 32 + 29, 119 * 512 + 1 * 32 + 31)),
    (datetime(1980, 1, 1, 0, 0, 1), (0, 32 + 1)),
    (datetime(1975, 3, 4, 1, 2, 3), (2048 + 2 * 32 + 1, 3 * 32 + 4)),  # before 1980: read as 1980
])
def test_dos_time_and_date(moment, expected):
    assert dos_time(moment) == expected


TIME, DATE = 9 * 2048 + 30 * 32 + 0, 46 * 512 + 12 * 32 + 5  # WHEN


def test_a_deflated_entry_has_a_local_header_of_zeros_then_its_chunks_then_a_descriptor():
    writer = ZipStream(WHEN)
    header = writer.open_entry("a.jsonl")
    assert struct.unpack("<IHHHHHIIIHH", header[:30]) == (0x04034B50, 20, 0x0808, 8, TIME, DATE, 0, 0, 0, 7, 0)
    assert header[30:] == b"a.jsonl"
    chunk = deflate_chunk(b"x" * 100)
    assert writer.data(chunk) == chunk
    tail = writer.close_entry(0x12345678, 100)
    assert tail == b"\x03\x00" + struct.pack("<IIII", 0x08074B50, 0x12345678, len(chunk) + 2, 100)
    assert writer.state() == {"offset": 37 + len(chunk) + 18, "current": None,
                              "entries": [["a.jsonl", 8, 0x0808, 0x12345678, len(chunk) + 2, 100, 0]]}


def test_the_central_directory_and_its_end_record_field_by_field():
    writer = ZipStream(WHEN)
    first = writer.open_entry("a") + writer.data(b"") + writer.close_entry(0, 0)
    photo = writer.stored_entry("p.jpg", b"JFIF")
    assert struct.unpack("<IHHHHHIIIHH", photo[:30]) == (0x04034B50, 20, 0x0800, 0, TIME, DATE,
                                                          zlib.crc32(b"JFIF"), 4, 4, 5, 0)
    end = writer.finish()
    a, p = end[:47], end[47:98]  # 46 bytes and the name each
    assert struct.unpack("<IHHHHHHIIIHHHHHII", a[:46]) == (0x02014B50, 20, 20, 0x0808, 8, TIME, DATE, 0, 2, 0, 1,
                                                            0, 0, 0, 0, 0, 0)
    assert struct.unpack("<IHHHHHHIIIHHHHHII", p[:46]) == (0x02014B50, 20, 20, 0x0800, 0, TIME, DATE,
                                                            zlib.crc32(b"JFIF"), 4, 4, 5, 0, 0, 0, 0, 0, len(first))
    start = len(first) + len(photo)
    assert end[98:] == struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, 98, start, 0)


def test_an_entry_past_4_gib_is_found_through_a_zip64_extra_field_and_end_records():
    start = 5_000_000_000
    writer = ZipStream(WHEN, {"offset": start, "entries": [], "current": None})
    photo = writer.stored_entry("p", b"x")
    end = writer.finish()
    directory = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x0800, 0, TIME, DATE, zlib.crc32(b"x"), 1, 1,
                            1, 12, 0, 0, 0, 0, MAX32) + b"p" + struct.pack("<HHQ", 1, 8, start)
    cd_start = start + len(photo)
    assert end == (directory
                   + struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(directory), cd_start)
                   + struct.pack("<IIQI", 0x07064B50, 0, cd_start + len(directory), 1)
                   + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, MAX32, MAX32, 0))


def test_zip64_begins_exactly_at_the_4_gib_offset_and_the_65535th_entry():
    at_limit = ZipStream(WHEN, {"offset": MAX32, "entries": [["p", 0, 0x0800, 0, 1, 1, MAX32]], "current": None})
    end = at_limit.finish()
    assert struct.unpack("<HH", end[28:32]) == (1, 12)                     # name length, zip64 extra of 12 bytes
    assert end[47:59] == struct.pack("<HHQ", 1, 8, MAX32)
    assert end[59:63] == struct.pack("<I", 0x06064B50)                     # the start is at 4 GiB too
    below = ZipStream(WHEN, {"offset": MAX32 - 1, "entries": [["p", 0, 0x0800, 0, 1, 1, MAX32 - 1]]}).finish()
    assert below[42:47] == struct.pack("<I", MAX32 - 1) + b"p"             # no extra field, no zip64 records
    assert below[47:51] == struct.pack("<I", 0x06054B50)
    entries = [[f"{i}", 0, 0x0800, 0, 0, 0, 0] for i in range(0xFFFF)]
    many = ZipStream(WHEN, {"offset": 10, "entries": entries}).finish()
    assert many[-22 - 20 - 56:][:4] == struct.pack("<I", 0x06064B50)       # 65,535 entries: zip64 records
    fewer = ZipStream(WHEN, {"offset": 10, "entries": entries[:-1]}).finish()
    assert fewer[-22:] == struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFE, 0xFFFE, len(fewer) - 22, 10, 0)


def test_misuse_is_refused_naming_the_entry():
    writer = ZipStream(WHEN)
    with pytest.raises(ValueError, match="^no entry is open$"):
        writer.data(b"x")
    writer.open_entry("a.jsonl")
    with pytest.raises(ValueError, match="^entry 'a.jsonl' is still open$"):
        writer.open_entry("b.jsonl")
    with pytest.raises(ValueError, match="^entry 'a.jsonl' is still open$"):
        writer.stored_entry("p.jpg", b"x")


@pytest.mark.parametrize("written, size, refused", [
    (MAX32 - 2, MAX32, False),      # with the final block: exactly 4 GiB - 1 compressed, as large as ZIP32 holds
    (MAX32 - 1, 1, True),           # one byte more compressed
    (0, MAX32 + 1, True),           # one byte more uncompressed
])
def test_an_entry_larger_than_4_gib_is_refused(written, size, refused):
    writer = ZipStream(WHEN, {"offset": 0, "entries": [], "current": ["big.jsonl", 0, written]})
    if refused:
        with pytest.raises(ValueError, match="^entry 'big.jsonl' is larger than 4 GiB$"):
            writer.close_entry(0, size)
    else:
        assert writer.close_entry(0, size)[-8:] == struct.pack("<II", MAX32, MAX32)


class _Claims(bytes):
    """Bytes that report a length of their choosing (no 4 GiB in memory)."""

    def __new__(cls, length: int):
        made = super().__new__(cls, b"")
        made.length = length
        return made

    def __len__(self) -> int:
        return self.length


def test_a_stored_entry_larger_than_4_gib_is_refused():
    with pytest.raises(ValueError, match="^entry 'huge.jpg' is larger than 4 GiB$"):
        ZipStream(WHEN).stored_entry("huge.jpg", _Claims(MAX32 + 1))
    assert ZipStream(WHEN).stored_entry("edge.jpg", _Claims(MAX32))[18:26] == struct.pack("<II", MAX32, MAX32)

"""A ZIP archive written as a stream that can stop and resume: plain Python, no AWS.

A firm's export is larger than one Lambda run may take, so the writer's whole state (where
the archive stands, the entries written, the entry open) is a small JSON-able dict that a
job stores and a later run continues from. It never seeks back: entries carry a data
descriptor (flag bit 3) after their data, and the central directory comes last.

Compressed data is made of *chunks*: each ``deflate_chunk`` is a fresh raw-deflate stream
ended by a sync flush (byte-aligned, not final), so chunks can be made in different runs and
simply concatenated; ``close_entry`` adds the final empty block. The same chunks in the same
order give the same bytes, however many runs wrote them. Entries and offsets past 4 GiB, or
more than 65,535 entries, use the ZIP64 records.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

DEFLATED, STORED = 8, 0
FINAL_EMPTY_BLOCK = b"\x03\x00"  # a final, empty, fixed-Huffman deflate block
_UTF8_NAMES = 1 << 11
_DESCRIPTOR = 1 << 3
_MAX32, _MAX16 = 0xFFFFFFFF, 0xFFFF


def deflate_chunk(data: bytes, level: int = 6) -> bytes:
    """``data`` as a raw-deflate chunk that may be followed by any other chunk."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def dos_time(moment: datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS form, as ZIP headers keep them (local time of the archive)."""
    year = max(moment.year, 1980)
    return ((moment.hour << 11) | (moment.minute << 5) | (moment.second // 2),
            ((year - 1980) << 9) | (moment.month << 5) | moment.day)


class ZipStream:
    """Returns the archive's bytes piece by piece; the caller sends them on, in order."""

    def __init__(self, modified: datetime, state: dict | None = None) -> None:
        self._time, self._date = dos_time(modified)
        state = state or {}
        self.offset: int = state.get("offset", 0)
        self.entries: list[list] = state.get("entries", [])  # [name, method, flags, crc, csize, usize, offset]
        self.current: list | None = state.get("current")  # [name, offset, compressed bytes so far]

    def state(self) -> dict:
        return {"offset": self.offset, "entries": self.entries, "current": self.current}

    def _emit(self, data: bytes) -> bytes:
        self.offset += len(data)
        return data

    def _local_header(self, name: bytes, method: int, flags: int, crc: int, csize: int, usize: int) -> bytes:
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, self._time, self._date, crc, csize, usize,
                           len(name), 0) + name

    def open_entry(self, name: str) -> bytes:
        """Start a deflated entry whose chunks follow (``data``) and ``close_entry`` ends."""
        if self.current is not None:
            raise ValueError(f"entry {self.current[0]!r} is still open")
        self.current = [name, self.offset, 0]
        return self._emit(self._local_header(name.encode(), DEFLATED, _UTF8_NAMES | _DESCRIPTOR, 0, 0, 0))

    def data(self, chunk: bytes) -> bytes:
        """Compressed bytes of the open entry (one or more ``deflate_chunk`` results)."""
        if self.current is None:
            raise ValueError("no entry is open")
        self.current[2] += len(chunk)
        return self._emit(chunk)

    def close_entry(self, crc: int, size: int) -> bytes:
        """End the open entry: ``crc`` and ``size`` of its uncompressed data."""
        name, offset, csize = self.current  # type: ignore[misc]
        csize += len(FINAL_EMPTY_BLOCK)
        if csize > _MAX32 or size > _MAX32:
            raise ValueError(f"entry {name!r} is larger than 4 GiB")
        self.current = None
        self.entries.append([name, DEFLATED, _UTF8_NAMES | _DESCRIPTOR, crc, csize, size, offset])
        return self._emit(FINAL_EMPTY_BLOCK + struct.pack("<IIII", 0x08074B50, crc, csize, size))

    def stored_entry(self, name: str, data: bytes) -> bytes:
        """A whole entry kept as it is (photos: already compressed)."""
        if self.current is not None:
            raise ValueError(f"entry {self.current[0]!r} is still open")
        if len(data) > _MAX32:
            raise ValueError(f"entry {name!r} is larger than 4 GiB")
        crc = zlib.crc32(data)
        self.entries.append([name, STORED, _UTF8_NAMES, crc, len(data), len(data), self.offset])
        return self._emit(self._local_header(name.encode(), STORED, _UTF8_NAMES, crc, len(data), len(data)) + data)

    def finish(self) -> bytes:
        """The central directory and its end records: the archive's last bytes."""
        start = self.offset
        directory = b"".join(self._directory_entry(*entry) for entry in self.entries)
        end = start + len(directory)
        count = len(self.entries)
        tail = b""
        if count >= _MAX16 or start >= _MAX32 or len(directory) >= _MAX32:
            tail += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(directory), start)
            tail += struct.pack("<IIQI", 0x07064B50, 0, end, 1)
            count, size, offset = _MAX16, _MAX32, _MAX32
        else:
            size, offset = len(directory), start
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, _MAX16), min(count, _MAX16), size, offset, 0)
        return self._emit(directory + tail)

    def _directory_entry(self, name: str, method: int, flags: int, crc: int, csize: int, usize: int,
                         offset: int) -> bytes:
        encoded = name.encode()
        extra, version = b"", 20
        if offset >= _MAX32:
            extra, version, offset = struct.pack("<HHQ", 1, 8, offset), 45, _MAX32
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, flags, method, self._time, self._date,
                           crc, csize, usize, len(encoded), len(extra), 0, 0, 0, 0, offset) + encoded + extra

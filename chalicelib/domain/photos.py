"""Photos residents attach to tickets: what a file is, from its bytes, and a copy of it
without the metadata that could locate or identify the resident.

Byte level and stdlib only (the Lambda carries no imaging library): the type comes from
the file's signature, never its name, and pixels are never re-encoded. What is kept is an
allow-list per format (the structure a viewer needs to show the picture the right way
up and in the right colours); everything else goes, so a new kind of metadata is
dropped by default rather than passed through.

- JPEG: segments before, between and after the scans are walked; APP0 JFIF/JFXX, APP2
  ICC profile, APP14 Adobe and the coding tables stay; Exif, XMP, Photoshop/IPTC, MPF,
  comments and every other APPn go, and so does anything after end-of-image. The
  Orientation tag survives in a new, minimal Exif block (phone photos stay upright).
- PNG: critical chunks and the ancillary chunks that describe colour, transparency,
  density or animation stay; eXIf, tEXt, zTXt, iTXt (XMP) and unknown ancillary chunks go.
- WebP: EXIF, XMP and unknown chunks go; VP8X flags and the RIFF size are corrected.
- HEIC: offsets into the file must stay valid, so the payloads of the Exif, MIME (XMP)
  and URI items, of the user-description properties and of top-level ``uuid`` boxes are
  overwritten with zeros in place; rotation lives in ``irot`` and is untouched.

A structure that cannot be read raises ``InvalidInput``: input is never handed back with
its metadata still in it.
"""

from __future__ import annotations

import struct

from .errors import InvalidInput

ACCEPTED = ("image/jpeg", "image/png", "image/heic", "image/webp")
MAX_BYTES = 10 * 1024 * 1024
# Pixels, read from the header: far more than a report needs, and it keeps out a small file
# that decodes to gigabytes in every viewer (a 40000 x 40000 PNG of one colour is a few kB).
MAX_PIXELS = 40_000_000
MAX_PER_TICKET = 5

UNREADABLE = "This file is not a photo we can read."
_ACCEPTED_REASON = "must be a JPEG, PNG, HEIC or WebP photo"
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "image/webp": "webp"}


def extension(kind: str) -> str:
    """The file extension (no dot) a stored photo of this type gets."""
    try:
        return _EXTENSIONS[kind]
    except KeyError:
        raise ValueError(f"not an accepted photo type: {kind!r}") from None


def check(data: bytes) -> tuple[str, bytes]:
    """The type of an uploaded photo and a copy without location metadata.

    Raises InvalidInput (field ``photo``) when the file is empty, too large, not one of
    the accepted types, or damaged."""
    if not data:
        raise InvalidInput("This file is empty.", {"photo": "is empty"})
    if len(data) > MAX_BYTES:
        raise InvalidInput("That photo is larger than 10 MB.",
                           {"photo": f"must be at most {MAX_BYTES // (1024 * 1024)} MB"})
    kind = sniff(data)
    if kind is None:
        raise InvalidInput(UNREADABLE, {"photo": _ACCEPTED_REASON})
    clean = strip_location(data, kind)
    width, height = dimensions(clean, kind)
    if width * height > MAX_PIXELS:
        raise InvalidInput(TOO_MANY_PIXELS, {"photo": f"is {width} x {height} pixels; it must be at most "
                                                      f"{MAX_PIXELS // 1_000_000} megapixels"})
    return kind, clean


TOO_MANY_PIXELS = "That picture has too many pixels."


def dimensions(data: bytes, kind: str) -> tuple[int, int]:
    """(width, height) in pixels, read from the file's header (nothing is decoded).
    Raises InvalidInput when the header does not say."""
    read = _MEASURES.get(kind)
    if read is None:
        raise ValueError(f"not an accepted photo type: {kind!r}")
    try:
        size = read(bytes(data))
    except (struct.error, IndexError):
        size = None
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise _unreadable("is damaged (its size in pixels cannot be read)")
    return size


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """From the frame header (SOF0-15 but DHT, JPG, DAC), which comes before the first scan."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _JPEG_STANDALONE:
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if length < 7 or at + 9 > len(data):
                return None
            height, width = struct.unpack_from(">HH", data, at + 5)
            return width, height
        if marker in (_SOS, _EOI) or length < 2:
            return None
        at += 2 + length
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack_from(">II", data, 16)  # IHDR, checked by sniff
    return width, height


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk, body = data[12:16], 20
    if chunk == b"VP8X":  # the canvas, 24-bit width - 1 and height - 1
        return int.from_bytes(data[body + 4:body + 7], "little") + 1, int.from_bytes(data[body + 7:body + 10],
                                                                                      "little") + 1
    if chunk == b"VP8L":  # signature 0x2f, then 14-bit width - 1 and height - 1
        if data[body] != 0x2F:
            return None
        bits = int.from_bytes(data[body + 1:body + 5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # a key frame: 3-byte tag, start code 9d 01 2a, 14-bit width and height
        if data[body + 3:body + 6] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack_from("<HH", data, body + 6)
        return width & 0x3FFF, height & 0x3FFF
    return None


def _heic_size(data: bytes) -> tuple[int, int] | None:
    """The largest image spatial extent (``ispe``) among the item properties: the whole
    picture (a grid's output, not one of its tiles or the thumbnail)."""
    top = _boxes(data, 0, len(data))
    meta = next((box for box in top if box.kind == b"meta"), None)
    if meta is None:
        return None
    iprp = _only(_boxes(data, meta.body + 4, meta.end), b"iprp")
    ipco = _only(_boxes(data, iprp.body, iprp.end), b"ipco") if iprp is not None else None
    if ipco is None:
        return None
    sizes = [struct.unpack_from(">II", data, box.body + 4) for box in _boxes(data, ipco.body, ipco.end)
             if box.kind == b"ispe" and box.end - box.body >= 12]
    return max(sizes, key=lambda size: size[0] * size[1]) if sizes else None


def strip_location(data: bytes, kind: str) -> bytes:
    """``data`` without the metadata that could locate or identify whoever took it."""
    strip = _STRIPPERS.get(kind)
    if strip is None:
        raise ValueError(f"not an accepted photo type: {kind!r}")
    try:
        return strip(bytes(data))
    except (struct.error, IndexError):  # a bounds check we missed: still never pass it through
        raise _unreadable("is damaged") from None


# -- what a file is ---------------------------------------------------------------------

# What may follow SOI: APPn, COM, tables (DQT, DHT, DAC, DRI) or a frame header.
_JPEG_FIRST_MARKERS = frozenset([*range(0xC0, 0xD0), 0xDB, 0xDD, 0xFE, *range(0xE0, 0xF0)]) - {0xC8}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WEBP_FIRST_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")
_HEVC_BRANDS = frozenset([b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"])
_HEIF_BRANDS = frozenset([b"mif1", b"msf1"])
_OTHER_CODEC_BRANDS = frozenset([b"avif", b"avis", b"avio"])  # HEIF too, but AV1: not HEIC


def sniff(data: bytes) -> str | None:
    """The photo type from the file's leading bytes, or None if it is not one we accept."""
    head = bytes(data[:4096])
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg" if _looks_like_jpeg(data) else None
    if head[:8] == _PNG_SIGNATURE:
        return "image/png" if len(data) >= 33 and head[8:16] == b"\x00\x00\x00\x0dIHDR" else None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp" if len(data) >= 20 and head[12:16] in _WEBP_FIRST_CHUNKS else None
    if head[4:8] == b"ftyp":
        return "image/heic" if _heif_brands_say_heic(head, len(data)) else None
    return None


def _looks_like_jpeg(data: bytes) -> bool:
    # SOI, then a whole first segment: a marker that may open a JPEG and a length that fits.
    if len(data) < 6 or data[3] not in _JPEG_FIRST_MARKERS:
        return False
    length = int.from_bytes(data[4:6], "big")
    return length >= 2 and 4 + length <= len(data)


def _heif_brands_say_heic(head: bytes, total: int) -> bool:
    size = int.from_bytes(head[:4], "big")
    if size < 16 or size > min(total, len(head)):
        return False
    brands = {head[8:12]} | {head[at:at + 4] for at in range(16, size - 3, 4)}
    if brands & _HEVC_BRANDS:
        return True
    return bool(brands & _HEIF_BRANDS) and not brands & _OTHER_CODEC_BRANDS


# -- shared -----------------------------------------------------------------------------

def _unreadable(reason: str) -> InvalidInput:
    return InvalidInput(UNREADABLE, {"photo": reason})


def _cut_short(what: str) -> InvalidInput:
    return _unreadable(f"is cut short ({what} runs past the end of the file)")


# -- JPEG -------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _APP0, _APP1, _APP2, _APP14, _COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xE1, 0xE2, 0xEE, 0xFE
_JPEG_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])  # TEM, RST0-7: no length
_JPEG_KEPT_APP = {_APP0: (b"JFIF\x00", b"JFXX\x00"), _APP2: (b"ICC_PROFILE\x00",), _APP14: (b"Adobe",)}
_EXIF_HEADER = b"Exif\x00\x00"
_ORIENTATION = 0x0112


def _strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise _unreadable("is not a JPEG")
    kept: list[bytes] = [b"\xff\xd8"]
    orientation: int | None = None
    jfif_first = False
    scanned = False
    at, end = 2, len(data)
    while True:
        if at >= end:
            raise _cut_short("the JPEG")
        if data[at] != 0xFF:
            raise _unreadable(f"is damaged (no JPEG marker at byte {at})")
        while at < end and data[at] == 0xFF:  # fill bytes before a marker
            at += 1
        if at >= end:
            raise _cut_short("a JPEG marker")
        marker = data[at]
        at += 1
        if marker == _EOI:
            if not scanned:
                raise _unreadable("is damaged (a JPEG without image data)")
            kept.append(b"\xff\xd9")
            return _with_orientation(kept, orientation, jfif_first)  # trailers after EOI dropped
        if marker in (0x00, _SOI):
            raise _unreadable(f"is damaged (unexpected JPEG marker at byte {at - 1})")
        if marker in _JPEG_STANDALONE:
            kept.append(bytes((0xFF, marker)))
            continue
        if at + 2 > end:
            raise _cut_short("a JPEG segment")
        length = int.from_bytes(data[at:at + 2], "big")
        if length < 2 or at + length > end:
            raise _cut_short(f"the JPEG segment at byte {at - 2}")
        body = data[at:at + length]  # the length field and the payload
        at += length
        payload = body[2:]
        if marker == _APP1 and orientation is None and payload.startswith(_EXIF_HEADER):
            orientation = _exif_orientation(payload[len(_EXIF_HEADER):])
        if (_APP0 <= marker <= 0xEF or marker == _COM) and not payload.startswith(_JPEG_KEPT_APP.get(marker, ())):
            continue
        if marker == _APP0 and len(kept) == 1:
            jfif_first = True
        kept.append(bytes((0xFF, marker)) + body)
        if marker == _SOS:
            scanned = True
            scan_end = _entropy_coded_end(data, at)
            kept.append(data[at:scan_end])
            at = scan_end


def _with_orientation(kept: list[bytes], orientation: int | None, jfif_first: bool) -> bytes:
    if orientation is not None:  # Exif goes first, or straight after a leading JFIF APP0
        kept.insert(2 if jfif_first else 1, _orientation_exif(orientation))
    return b"".join(kept)


def _entropy_coded_end(data: bytes, at: int) -> int:
    """Where the scan's entropy-coded data ends: the next marker that is not a stuffed
    0xFF00, a restart marker or fill."""
    end = len(data)
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= end:
            raise _cut_short("the JPEG image data")
        following = data[at + 1]
        if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
            at += 1 if following == 0xFF else 2
            continue
        return at


def _exif_orientation(tiff: bytes) -> int | None:
    """Orientation (1-8) from IFD0 of a TIFF-structured Exif block; None if absent or
    unreadable (the block is dropped either way)."""
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return None
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind, n = struct.unpack_from(order + "HHI", tiff, entry)
            if tag == _ORIENTATION:
                if kind != 3 or n != 1:
                    return None
                (value,) = struct.unpack_from(order + "H", tiff, entry + 8)
                return value if 1 <= value <= 8 else None
    except struct.error:
        return None
    return None


def _orientation_exif(value: int) -> bytes:
    """An APP1 Exif segment whose IFD0 holds only Orientation."""
    tiff = b"MM\x00*" + struct.pack(">IHHHIHHI", 8, 1, _ORIENTATION, 3, 1, value, 0, 0)
    payload = _EXIF_HEADER + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


# -- PNG --------------------------------------------------------------------------------

# Ancillary chunks that only say how to show the pixels (colour, transparency, density,
# animation). Critical chunks (upper-case first letter) are always kept.
_PNG_KEPT_ANCILLARY = frozenset([
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"hIST", b"sPLT",
    b"cICP", b"mDCV", b"cLLI", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
])


def _strip_png(data: bytes) -> bytes:
    if data[:8] != _PNG_SIGNATURE:
        raise _unreadable("is not a PNG")
    kept = [_PNG_SIGNATURE]
    at, end = 8, len(data)
    while True:
        if at + 8 > end:
            raise _cut_short("a PNG chunk")
        length, kind = struct.unpack_from(">I4s", data, at)
        if length > 0x7FFFFFFF or not kind.isalpha():
            raise _unreadable(f"is damaged (bad PNG chunk at byte {at})")
        if (len(kept) == 1) != (kind == b"IHDR"):
            raise _unreadable("is damaged (a PNG must start with its header)")
        stop = at + 12 + length
        if stop > end:
            raise _cut_short(f"the PNG {kind.decode('ascii')} chunk")
        if kind[0] < 0x61 or kind in _PNG_KEPT_ANCILLARY:  # critical: upper-case first letter
            kept.append(data[at:stop])
        at = stop
        if kind == b"IEND":
            return b"".join(kept)  # anything after IEND is dropped


# -- WebP -------------------------------------------------------------------------------

_WEBP_KEPT = frozenset([b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"])
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _unreadable("is not a WebP image")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if riff_size < 4 or end > len(data):
        raise _cut_short("the WebP container")
    kept: list[bytes] = []
    at = 12
    while at < end:
        if at + 8 > end:
            raise _cut_short("a WebP chunk header")
        kind, size = struct.unpack_from("<4sI", data, at)
        stop = at + 8 + size
        if stop > end:
            raise _cut_short(f"the WebP {kind.decode('latin-1').strip()} chunk")
        chunk = data[at:stop] + (b"\x00" if size % 2 else b"")  # odd chunks are padded
        first, at = at == 12, stop + size % 2
        if kind == b"VP8X":
            if not first or size != 10:
                raise _unreadable("is damaged (misplaced WebP VP8X chunk)")
            chunk = chunk[:8] + bytes((chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF,)) + chunk[9:]
        if kind in _WEBP_KEPT:
            kept.append(chunk)
    if not any(chunk[:4] in (b"VP8 ", b"VP8L", b"ANMF") for chunk in kept):
        raise _unreadable("is damaged (a WebP without image data)")
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body  # anything past the RIFF size is dropped


# -- HEIC (ISO base media file format) --------------------------------------------------

_HEIF_METADATA_ITEMS = frozenset([b"Exif", b"mime", b"uri "])  # mime carries XMP
_HEIF_USER_DESCRIPTION = b"udes"
# An Exif item: offset to the TIFF header (0), then a big-endian TIFF with one empty IFD.
_HEIF_EMPTY_EXIF = struct.pack(">I4sIHI", 0, b"MM\x00*", 8, 0, 0)


class _Box:
    """A box's type, where its contents start (after size, type and any uuid) and its end."""

    __slots__ = ("kind", "body", "end")

    def __init__(self, kind: bytes, body: int, end: int) -> None:
        self.kind, self.body, self.end = kind, body, end


def _boxes(data: bytes | bytearray, at: int, end: int) -> list[_Box]:
    """The boxes laid end to end in ``data[at:end]`` (32- or 64-bit sizes, 0 = to the end)."""
    found: list[_Box] = []
    while at < end:
        if at + 8 > end:
            raise _cut_short("a HEIF box header")
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise _cut_short("a HEIF box header")
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if kind == b"uuid":
            header += 16
        if size < header or at + size > end:
            raise _cut_short(f"the HEIF {kind.decode('latin-1')!r} box at byte {at}")
        found.append(_Box(kind, at + header, at + size))
        at += size
    return found


class _Reader:
    """Big-endian fields of one box, refusing to read past its end."""

    def __init__(self, data: bytes | bytearray, at: int, end: int, what: str) -> None:
        self.data, self.at, self.end, self.what = data, at, end, what

    def uint(self, size: int) -> int:
        if self.at + size > self.end:
            raise _cut_short(f"the HEIF {self.what} box")
        value = int.from_bytes(self.data[self.at:self.at + size], "big")
        self.at += size
        return value


def _strip_heic(data: bytes) -> bytes:
    clean = bytearray(data)
    top = _boxes(clean, 0, len(clean))
    if not top or top[0].kind != b"ftyp":
        raise _unreadable("is not a HEIF image")
    if any(box.kind == b"moov" for box in top):
        raise _unreadable("is an image sequence, which we do not accept")
    metas = [box for box in top if box.kind == b"meta"]
    if len(metas) != 1:
        raise _unreadable("is damaged (a HEIF file needs exactly one meta box)")
    for box in top:
        if box.kind == b"uuid":  # vendor boxes (XMP among them): nothing a decoder needs
            clean[box.body:box.end] = bytes(box.end - box.body)
    meta = metas[0]
    children = _boxes(clean, meta.body + 4, meta.end)  # meta is a full box
    items = _only(children, b"iinf")
    locations = _only(children, b"iloc")
    if items is None:
        raise _unreadable("is damaged (a HEIF file without an item list)")
    metadata_items = _heif_metadata_items(clean, items)
    extents = _heif_locations(clean, locations) if locations is not None else {}
    for item_id, item_type in sorted(metadata_items.items()):
        location = extents.get(item_id)
        if location is None:
            continue  # an item with no data in this file
        method, reference, spans = location
        if method != 0 or reference != 0:
            raise _unreadable("stores its metadata in a way we cannot clean")
        if any(length == 0 or start + length > len(clean) for start, length in spans):
            raise _unreadable("is damaged (HEIF metadata outside the file)")
        total = sum(length for _, length in spans)
        # Exif readers choke on zeros: leave an empty but valid Exif block, then zeros.
        blank = _HEIF_EMPTY_EXIF if item_type == b"Exif" and total >= len(_HEIF_EMPTY_EXIF) else b""
        blank += bytes(total - len(blank))
        done = 0
        for start, length in spans:
            clean[start:start + length] = blank[done:done + length]
            done += length
    _blank_user_descriptions(clean, children)
    return bytes(clean)


def _only(boxes: list[_Box], kind: bytes) -> _Box | None:
    matches = [box for box in boxes if box.kind == kind]
    if len(matches) > 1:
        raise _unreadable(f"is damaged (more than one HEIF {kind.decode('latin-1')} box)")
    return matches[0] if matches else None


def _heif_metadata_items(data: bytearray, iinf: _Box) -> dict[int, bytes]:
    """Id -> type of the Exif, MIME (XMP) and URI items listed in ``iinf``."""
    fields = _Reader(data, iinf.body, iinf.end, "iinf")
    version = fields.uint(1)
    fields.uint(3)
    fields.uint(2 if version == 0 else 4)  # entry count: the boxes themselves are read
    found: dict[int, bytes] = {}
    for entry in _boxes(data, fields.at, iinf.end):
        if entry.kind != b"infe":
            continue
        info = _Reader(data, entry.body, entry.end, "infe")
        version = info.uint(1)
        info.uint(3)
        if version in (0, 1):  # no item type: every such item is a MIME-typed blob
            found[info.uint(2)] = b"mime"
            continue
        if version not in (2, 3):
            raise _unreadable(f"is damaged (HEIF item info version {version})")
        item_id = info.uint(2 if version == 2 else 4)
        info.uint(2)  # protection index
        item_type = info.uint(4).to_bytes(4, "big")
        if item_type in _HEIF_METADATA_ITEMS:
            found[item_id] = item_type
    return found


def _heif_locations(data: bytearray, iloc: _Box) -> dict[int, tuple[int, int, list[tuple[int, int]]]]:
    """item id -> (construction method, data reference, [(file offset, length)])."""
    fields = _Reader(data, iloc.body, iloc.end, "iloc")
    version = fields.uint(1)
    fields.uint(3)
    if version > 2:
        raise _unreadable(f"is damaged (HEIF item location version {version})")
    sizes = fields.uint(2)
    offset_size, length_size, base_size, index_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15, sizes & 15
    if version == 0:
        index_size = 0
    if any(size not in (0, 4, 8) for size in (offset_size, length_size, base_size, index_size)):
        raise _unreadable("is damaged (HEIF item location field sizes)")
    wide = version == 2
    locations: dict[int, tuple[int, int, list[tuple[int, int]]]] = {}
    for _ in range(fields.uint(4 if wide else 2)):
        item_id = fields.uint(4 if wide else 2)
        method = fields.uint(2) & 15 if version else 0
        reference = fields.uint(2)
        base = fields.uint(base_size)
        spans = []
        for _ in range(fields.uint(2)):
            fields.uint(index_size)
            offset = fields.uint(offset_size)
            spans.append((base + offset, fields.uint(length_size)))
        if item_id in locations:
            raise _unreadable("is damaged (a HEIF item located twice)")
        locations[item_id] = (method, reference, spans)
    return locations


def _blank_user_descriptions(data: bytearray, meta_children: list[_Box]) -> None:
    """Empty the strings of ``udes`` properties (name, description, tags) in place."""
    properties = _only(meta_children, b"iprp")
    if properties is None:
        return
    container = _only(_boxes(data, properties.body, properties.end), b"ipco")
    if container is None:
        return
    for box in _boxes(data, container.body, container.end):
        if box.kind == _HEIF_USER_DESCRIPTION and box.end - box.body > 4:
            data[box.body + 4:box.end] = bytes(box.end - box.body - 4)  # keep version/flags


_STRIPPERS = {"image/jpeg": _strip_jpeg, "image/png": _strip_png, "image/webp": _strip_webp,
              "image/heic": _strip_heic}
_MEASURES = {"image/jpeg": _jpeg_size, "image/png": _png_size, "image/webp": _webp_size, "image/heic": _heic_size}

"""A photo's size in pixels comes from its header, and more than 40 megapixels is refused.

Pillow (the oracle) writes real files of each type; the huge ones are the same files with
the size in the header changed, which is all a "decompression bomb" is: nothing is decoded,
so the check costs nothing whatever the header claims.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.domain import photos
from chalicelib.domain.errors import InvalidInput


def encoded(size: tuple[int, int], fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format=fmt, **options)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    data = bytearray(encoded((8, 8), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR's CRC
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encoded((8, 8), "JPEG"))
    at = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """An extended WebP (VP8X) whose canvas is ``width`` x ``height``."""
    data = bytearray(encoded((8, 8), "WEBP", lossless=True, exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"))
    assert data[12:16] == b"VP8X"
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def full_box(kind: bytes, payload: bytes) -> bytes:
    return box(kind, bytes(4) + payload)


def heic_claiming(width: int, height: int) -> bytes:
    """ftyp, meta (hdlr, pitm, iinf, iprp/ipco with a thumbnail's and the image's ispe), mdat."""
    ftyp = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
    infe = full_box(b"infe", struct.pack(">HH4s", 1, 0, b"hvc1") + b"\x00")
    infe = infe[:8] + b"\x02" + infe[9:]  # version 2
    ipco = box(b"ipco", full_box(b"ispe", struct.pack(">II", 320, 240)) + full_box(b"ispe", struct.pack(">II", width,
                                                                                                           height)))
    meta = full_box(b"meta", full_box(b"hdlr", bytes(4) + b"pict" + bytes(12) + b"\x00")
                    + full_box(b"pitm", struct.pack(">H", 1)) + full_box(b"iinf", struct.pack(">H", 1) + infe)
                    + box(b"iprp", ipco))
    return ftyp + meta + box(b"mdat", b"\x11" * 40)


CLAIMING = {"image/png": png_claiming, "image/jpeg": jpeg_claiming, "image/webp": webp_claiming,
            "image/heic": heic_claiming}


@pytest.mark.parametrize("kind", sorted(CLAIMING))
def test_a_40000_by_40000_photo_is_refused_by_its_header(kind):
    data = CLAIMING[kind](16000 if kind == "image/webp" else 40000, 16000 if kind == "image/webp" else 40000)
    assert len(data) < 2000  # tiny on the wire
    with pytest.raises(InvalidInput) as refused:
        photos.check(data)
    assert "megapixels" in refused.value.fields["photo"]


@pytest.mark.parametrize("kind", sorted(CLAIMING))
def test_40_megapixels_is_the_most_a_photo_may_have(kind):
    assert photos.check(CLAIMING[kind](8000, 5000))[0] == kind  # 40,000,000 exactly
    with pytest.raises(InvalidInput):
        photos.check(CLAIMING[kind](8000, 5001))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["PNG", "JPEG", "WEBP-lossless", "WEBP-lossy"]), st.integers(1, 300), st.integers(1, 300))
def test_the_size_read_from_the_header_is_the_size_pillow_wrote(fmt, width, height):
    name, _, mode = fmt.partition("-")
    data = encoded((width, height), name, **({"lossless": mode == "lossless"} if name == "WEBP" else {}))
    assert photos.dimensions(data, photos.sniff(data)) == (width, height)


def test_a_photo_whose_header_hides_its_size_is_refused():
    data = bytearray(encoded((8, 8), "JPEG"))
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 7] = b"\x00\x00"  # height 0: "defined later", which no camera writes
    with pytest.raises(InvalidInput) as refused:
        photos.check(bytes(data))
    assert "size in pixels" in refused.value.fields["photo"]
    with pytest.raises(InvalidInput):  # a HEIF image must carry its extent (ispe); this one does not
        photos.check(heic_claiming(640, 480).replace(b"ispe", b"free"))

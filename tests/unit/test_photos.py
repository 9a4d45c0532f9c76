"""Residents' photos: the type comes from the bytes, and nobody downstream sees where they live.

Real images are built with Pillow (and pillow-heif for HEIC) carrying a GPS position, an
orientation and an XMP packet; the cleaned copies are decoded again by the same libraries.
Hand-built HEIF files cover the box layouts pillow-heif does not write (64-bit sizes,
iloc versions and field widths, split extents).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms, PngImagePlugin, TiffImagePlugin

from chalicelib.domain import photos
from chalicelib.domain.errors import InvalidInput

SIZE = (32, 24)
GPS_IFD, ORIENTATION = 0x8825, 0x0112
# Distinctive rationals: the seconds of the resident's latitude and longitude.
LATITUDE_SECONDS, LONGITUDE_SECONDS = (1234567, 1000), (7654321, 1000)
XMP_MARKER = b"Flat 12B, Harmony Court"
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.2057N" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:description="' + XMP_MARKER + b'"/>'
       b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


# -- builders ---------------------------------------------------------------------------

def picture() -> Image.Image:
    pixels = bytes((i * 7 + (i // 96) * 13) % 256 for i in range(SIZE[0] * SIZE[1] * 3))
    return Image.frombytes("RGB", SIZE, pixels)


def exif_with_location(orientation: int | None = 6) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {
        1: "N", 2: (TiffImagePlugin.IFDRational(51), TiffImagePlugin.IFDRational(30),
                    TiffImagePlugin.IFDRational(*LATITUDE_SECONDS)),
        3: "W", 4: (TiffImagePlugin.IFDRational(0), TiffImagePlugin.IFDRational(7),
                    TiffImagePlugin.IFDRational(*LONGITUDE_SECONDS)),
    }
    return exif.tobytes()


@functools.cache
def srgb_profile() -> bytes:  # once: the profile carries its creation time
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg(orientation: int | None = 6) -> bytes:
    data = encoded(picture(), "JPEG", quality=90, exif=exif_with_location(orientation), xmp=XMP,
                   icc_profile=srgb_profile(), comment=b"taken at " + XMP_MARKER)
    # Photoshop/IPTC (APP13) right after SOI, as some editors write it.
    iptc = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00\x00\x00\x00\x10" + b"\x1c\x02\x5c\x00\x0c" + XMP_MARKER[:12]
    return data[:2] + b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc + data[2:]


def png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at Flat 12B")
    info.add_text("Location", "Flat 12B, Harmony Court", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encoded(picture(), "PNG", exif=exif_with_location(), pnginfo=info, icc_profile=srgb_profile())


def webp() -> bytes:
    return encoded(picture(), "WEBP", lossless=True, exif=exif_with_location(), xmp=XMP,
                   icc_profile=srgb_profile())


def heic() -> bytes:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    return encoded(picture(), "HEIF", quality=90, exif=exif_with_location(), xmp=XMP)


def gps_rationals(data: bytes) -> list[bytes]:
    """The packed latitude/longitude seconds (either byte order) found in ``data``."""
    needles = [struct.pack(order + "II", *value) for value in (LATITUDE_SECONDS, LONGITUDE_SECONDS)
               for order in "<>"]
    return [needle for needle in needles if needle in data]


def assert_no_location(data: bytes) -> None:
    assert gps_rationals(data) == []
    assert XMP_MARKER not in data and b"xmpmeta" not in data and b"GPSLatitude" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert GPS_IFD not in image.getexif()
        assert image.getexif().get_ifd(GPS_IFD) == {}


def decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def png_chunks(data: bytes) -> list[tuple[bytes, bool]]:
    """(type, CRC is right) for each chunk."""
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        (crc,) = struct.unpack_from(">I", data, at + 8 + length)
        chunks.append((kind, zlib.crc32(data[at + 4:at + 8 + length]) == crc))
        at += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 12
    while at < len(data):
        kind, size = struct.unpack_from("<4sI", data, at)
        chunks.append(kind)
        at += 8 + size + size % 2
    return chunks


def refusal(data: bytes, kind: str | None = None) -> str:
    with pytest.raises(InvalidInput) as refused:
        photos.strip_location(data, kind) if kind else photos.check(data)
    assert refused.value.message
    return refused.value.fields["photo"]


# -- what a file is ---------------------------------------------------------------------

def test_each_accepted_type_is_recognised_from_its_bytes():
    assert photos.sniff(jpeg()) == "image/jpeg"
    assert photos.sniff(png()) == "image/png"
    assert photos.sniff(webp()) == "image/webp"
    assert photos.sniff(heif_file()) == "image/heic"
    assert photos.ACCEPTED == ("image/jpeg", "image/png", "image/heic", "image/webp")


def test_a_heif_brand_among_the_compatible_brands_is_enough():
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"xyz1", 0) + b"abcd" + b"mif1"
    assert photos.sniff(ftyp + bytes(32)) == "image/heic"


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
    b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40),
    b"Just some text that someone renamed to photo.jpg\n",
    b"\xff\xd8\xffgarbage",  # a JPEG signature and then nothing like a JPEG
    b"\xff\xd8\xff\xe0\x00\x10JF",  # a first segment longer than the file
    b"\x89PNG\r\n\x1a\n",  # a PNG signature with no header
    b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20),
    struct.pack(">I4s4sI", 20, b"ftyp", b"avif", 0) + b"mif1" + bytes(32),  # AV1, not HEIC
    struct.pack(">I4s4sI", 20, b"ftyp", b"isom", 0) + b"mp41" + bytes(32),  # a video
    b"",
], ids=["pdf", "html", "svg", "zip", "text", "jpeg-then-garbage", "jpeg-too-short", "png-signature-only",
        "wav", "avif", "mp4", "empty"])
def test_anything_else_is_not_a_photo(content):
    assert photos.sniff(content) is None


def test_a_gif_is_not_a_photo_we_accept():
    assert photos.sniff(encoded(picture(), "GIF")) is None


def test_the_name_plays_no_part_a_png_called_jpg_is_a_png_and_text_called_jpg_is_refused():
    # Given files whose names would say JPEG (sniff takes no name: only the bytes count)
    named_photo_jpg, named_notes_jpg = png(), b"meeting notes, definitely a photo"
    # Then
    assert photos.sniff(named_photo_jpg) == "image/png"
    assert photos.sniff(named_notes_jpg) is None
    assert "JPEG, PNG, HEIC or WebP" in refusal(named_notes_jpg)


def test_each_type_has_its_extension():
    assert [photos.extension(kind) for kind in photos.ACCEPTED] == ["jpg", "png", "heic", "webp"]
    with pytest.raises(ValueError):
        photos.extension("image/gif")


# -- JPEG -------------------------------------------------------------------------------

def test_a_jpeg_loses_location_xmp_iptc_and_comments_but_keeps_pixels_colour_and_orientation():
    # Given a phone photo with a GPS position, XMP, IPTC, a comment, an ICC profile, turned
    original = jpeg(orientation=6)
    assert gps_rationals(original) and XMP_MARKER in original
    # When
    clean = photos.strip_location(original, "image/jpeg")
    # Then
    assert_no_location(clean)
    with Image.open(io.BytesIO(clean)) as image:
        assert dict(image.getexif()) == {ORIENTATION: 6}
        assert image.info["icc_profile"] == srgb_profile()
        assert "comment" not in image.info and "photoshop" not in image.info
        assert b"JFIF" in clean[:20] and clean[20:22] == b"\xff\xe1"  # Exif right after JFIF
    assert decoded(clean).tobytes() == decoded(original).tobytes()  # entropy data untouched


def test_a_jpeg_without_orientation_gets_no_exif_at_all():
    clean = photos.strip_location(jpeg(orientation=None), "image/jpeg")
    assert b"Exif\x00\x00" not in clean
    assert_no_location(clean)


def test_a_big_endian_exif_orientation_is_kept_too():
    exif = b"Exif\x00\x00MM\x00*" + struct.pack(">IHHHIHHI", 8, 1, ORIENTATION, 3, 1, 8, 0, 0)
    plain = encoded(picture(), "JPEG")
    original = plain[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + plain[2:]
    with Image.open(io.BytesIO(photos.strip_location(original, "image/jpeg"))) as image:
        assert image.getexif()[ORIENTATION] == 8


def test_anything_after_the_end_of_a_jpeg_is_dropped_with_its_location():
    # Given a second picture with a GPS position appended, as multi-picture phones do
    original = encoded(picture(), "JPEG") + jpeg()
    clean = photos.strip_location(original, "image/jpeg")
    assert gps_rationals(clean) == [] and clean.endswith(b"\xff\xd9")
    assert decoded(clean).size == SIZE


def test_a_progressive_jpeg_keeps_all_its_scans():
    original = encoded(picture(), "JPEG", progressive=True, exif=exif_with_location(), xmp=XMP)
    clean = photos.strip_location(original, "image/jpeg")
    assert_no_location(clean)
    assert decoded(clean).tobytes() == decoded(original).tobytes()


@pytest.mark.parametrize("keep", [3, 20, 200, 0.5, 0.99], ids=["in-soi", "in-header", "in-tables", "mid-scan",
                                                               "before-eoi"])
def test_a_truncated_jpeg_is_refused(keep):
    original = jpeg()
    cut = original[:keep if isinstance(keep, int) else int(len(original) * keep)]
    assert "cut short" in refusal(cut, "image/jpeg")


# -- PNG --------------------------------------------------------------------------------

def test_a_png_loses_exif_and_text_chunks_and_keeps_identical_pixels_with_valid_crcs():
    original = png()
    assert gps_rationals(original) and XMP_MARKER in original
    clean = photos.strip_location(original, "image/png")
    assert_no_location(clean)
    assert b"Flat 12B" not in clean
    kinds = [kind for kind, _ in png_chunks(clean)]
    assert not {b"eXIf", b"tEXt", b"zTXt", b"iTXt"} & set(kinds)
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"iCCP" in kinds
    assert all(crc_ok for _, crc_ok in png_chunks(clean))
    assert decoded(clean).tobytes() == decoded(original).tobytes() == picture().tobytes()


def test_an_unknown_ancillary_png_chunk_is_dropped_and_trailing_bytes_too():
    original = png()
    private = b"prVt" + b"resident at Flat 12B"
    chunk = struct.pack(">I", len(private) - 4) + private + struct.pack(">I", zlib.crc32(private))
    clean = photos.strip_location(original[:33] + chunk + original[33:] + b"GPS trailer", "image/png")
    assert b"prVt" not in clean and not clean.endswith(b"GPS trailer")
    assert decoded(clean).tobytes() == picture().tobytes()


@pytest.mark.parametrize("keep", [10, 30, 0.5, -6], ids=["in-signature", "in-ihdr", "mid-data", "in-iend"])
def test_a_truncated_png_is_refused(keep):
    original = png()
    cut = original[:keep if isinstance(keep, int) else int(len(original) * keep)]
    reason = refusal(cut, "image/png")
    assert "cut short" in reason or "not a PNG" in reason


# -- WebP -------------------------------------------------------------------------------

def test_a_webp_loses_exif_and_xmp_chunks_and_flags_and_keeps_identical_pixels():
    original = webp()
    assert gps_rationals(original) and XMP_MARKER in original
    assert {b"EXIF", b"XMP "} <= set(webp_chunks(original))
    clean = photos.strip_location(original, "image/webp")
    assert_no_location(clean)
    assert b"EXIF" not in webp_chunks(clean) and b"XMP " not in webp_chunks(clean)
    assert webp_chunks(clean)[:2] == [b"VP8X", b"ICCP"]
    assert clean[20] & 0x0C == 0 and clean[20] & 0x20  # EXIF/XMP flags cleared, ICC kept
    assert struct.unpack_from("<I", clean, 4)[0] == len(clean) - 8
    assert decoded(clean).tobytes() == decoded(original).tobytes() == picture().tobytes()


def test_a_truncated_webp_is_refused():
    original = webp()
    assert "cut short" in refusal(original[: len(original) // 2], "image/webp")


# -- HEIC made by libheif ---------------------------------------------------------------

def test_a_heic_has_its_exif_and_xmp_blanked_in_place_and_still_decodes_the_same():
    original = heic()
    assert gps_rationals(original) and XMP_MARKER in original
    clean = photos.strip_location(original, "image/heic")
    assert len(clean) == len(original)  # offsets stay valid
    assert_no_location(clean)
    before, after = decoded(original), decoded(clean)
    assert after.size == before.size  # rotation (irot) untouched
    assert after.tobytes() == before.tobytes()


# -- HEIC layouts built by hand ---------------------------------------------------------

def box(kind: bytes, payload: bytes, *, large: bool = False) -> bytes:
    if large:
        return struct.pack(">I4sQ", 1, kind, len(payload) + 16) + payload
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def full_box(kind: bytes, version: int, payload: bytes, flags: int = 0) -> bytes:
    return box(kind, bytes((version,)) + flags.to_bytes(3, "big") + payload)


def infe(item_id: int, item_type: bytes, extra: bytes = b"") -> bytes:
    return full_box(b"infe", 2, struct.pack(">HH4s", item_id, 0, item_type) + b"\x00" + extra)


IMAGE_DATA = b"\x11" * 40  # stands in for the HEVC picture
EXIF_ITEM = b"\x00\x00\x00\x06Exif\x00\x00II*\x00" + struct.pack("<II", *LATITUDE_SECONDS) * 4
XMP_ITEM = XMP


def heif_file(*, iloc_version: int = 1, widths: tuple[int, int, int, int] = (4, 4, 0, 0), method: int = 0,
              large_mdat: bool = False, exif_split: bool = False, description: bytes = b"") -> bytes:
    """ftyp, meta (hdlr, pitm, iinf, iloc[, iprp with a udes property]), mdat holding the
    image, Exif and XMP items.

    ``widths``: offset, length, base offset and index sizes of ``iloc``. With a base
    offset, extents are relative to the start of mdat's data."""
    offset_size, length_size, base_size, index_size = widths
    ftyp = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
    items = full_box(b"iinf", 0, struct.pack(">H", 3) + infe(1, b"hvc1") + infe(2, b"Exif")
                     + infe(3, b"mime", b"application/rdf+xml\x00"))
    lengths = {1: len(IMAGE_DATA), 2: len(EXIF_ITEM), 3: len(XMP_ITEM)}

    def iloc(data_start: int) -> bytes:
        uint = lambda size, value: value.to_bytes(size, "big")  # noqa: E731
        wide = 4 if iloc_version == 2 else 2
        body = bytes(((offset_size << 4) | length_size, (base_size << 4) | (index_size if iloc_version else 0)))
        body += uint(wide, 3)
        at = 0
        for item_id in (1, 2, 3):
            body += uint(wide, item_id)
            if iloc_version:
                body += struct.pack(">H", method if item_id == 2 else 0)
            body += struct.pack(">H", 0)
            base = data_start if base_size else 0
            body += uint(base_size, base) if base_size else b""
            start = at + (0 if base_size else data_start)
            pieces = [(start, 10), (start + 10, lengths[2] - 10)] if exif_split and item_id == 2 else [
                (start, lengths[item_id])]
            body += struct.pack(">H", len(pieces))
            for number, (offset, length) in enumerate(pieces):
                if iloc_version and index_size:
                    body += uint(index_size, number)
                body += uint(offset_size, offset) + uint(length_size, length)
            at += lengths[item_id]
        return full_box(b"iloc", iloc_version, body)

    properties = box(b"iprp", box(b"ipco", full_box(b"udes", 0, description))) if description else b""

    def meta(data_start: int) -> bytes:
        return full_box(b"meta", 0, full_box(b"hdlr", 0, bytes(4) + b"pict" + bytes(12) + b"\x00")
                        + full_box(b"pitm", 0, struct.pack(">H", 1)) + items + iloc(data_start) + properties)

    header = 16 if large_mdat else 8
    data_start = len(ftyp) + len(meta(0)) + header  # meta's size does not depend on offsets
    mdat = box(b"mdat", IMAGE_DATA + EXIF_ITEM + XMP_ITEM, large=large_mdat)
    return ftyp + meta(data_start) + mdat


def items_in(data: bytes) -> tuple[bytes, bytes, bytes]:
    end = len(data)
    xmp_at, exif_at = end - len(XMP_ITEM), end - len(XMP_ITEM) - len(EXIF_ITEM)
    image_at = exif_at - len(IMAGE_DATA)
    return data[image_at:exif_at], data[exif_at:xmp_at], data[xmp_at:]


@pytest.mark.parametrize("layout", [
    dict(iloc_version=0, widths=(4, 4, 0, 0)),
    dict(iloc_version=1, widths=(4, 4, 4, 0)),
    dict(iloc_version=1, widths=(8, 8, 8, 4), exif_split=True),
    dict(iloc_version=2, widths=(8, 4, 0, 8), large_mdat=True, exif_split=True),
    dict(iloc_version=2, widths=(4, 8, 8, 0), large_mdat=True),
], ids=["v0", "v1-base-offset", "v1-wide-split", "v2-64bit-mdat-split", "v2-base-offset"])
def test_heif_metadata_items_are_blanked_wherever_iloc_puts_them(layout):
    # Given a HEIF file laid out this way
    original = heif_file(**layout)
    assert items_in(original) == (IMAGE_DATA, EXIF_ITEM, XMP_ITEM)
    # When
    clean = photos.strip_location(original, "image/heic")
    # Then the image item is untouched, Exif is an empty TIFF, XMP is zeros, nothing else moved
    image, exif, xmp = items_in(clean)
    assert image == IMAGE_DATA
    assert exif[:4] == bytes(4) and exif[4:8] == b"MM\x00*" and not exif[18:].strip(b"\x00")
    assert xmp == bytes(len(XMP_ITEM))
    assert clean[: -len(EXIF_ITEM) - len(XMP_ITEM)] == original[: -len(EXIF_ITEM) - len(XMP_ITEM)]
    assert gps_rationals(clean) == []


def test_heif_user_descriptions_and_vendor_uuid_boxes_are_blanked_too():
    # Given a user-description property and an XMP uuid box at the top level
    described = b"en\x00Flat 12B, Harmony Court\x00leak under the sink\x00home\x00"
    xmp_uuid = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
    original = heif_file(description=described) + box(b"uuid", xmp_uuid + XMP)
    # When
    clean = photos.strip_location(original, "image/heic")
    # Then the boxes are still there (the uuid keeps its type), empty, and nothing moved
    assert len(clean) == len(original) and b"udes" in clean
    assert XMP_MARKER not in clean and b"Flat 12B" not in clean and b"leak under" not in clean
    assert clean.endswith(xmp_uuid + bytes(len(XMP)))


def test_heif_metadata_stored_other_than_by_file_offset_is_refused():
    assert "cannot clean" in refusal(heif_file(method=1), "image/heic")


@pytest.mark.parametrize("keep", [12, 40, 120, 0.9], ids=["in-ftyp", "in-meta", "in-iloc", "in-mdat"])
def test_a_truncated_heif_is_refused(keep):
    original = heif_file()
    cut = original[:keep if isinstance(keep, int) else int(len(original) * keep)]
    reason = refusal(cut, "image/heic")
    assert "cut short" in reason or "damaged" in reason


def test_a_heif_image_sequence_is_refused_rather_than_passed_through():
    original = heif_file()
    assert "sequence" in refusal(original + box(b"moov", b"\x00" * 8), "image/heic")


# -- every cut is refused or clean ------------------------------------------------------

@pytest.mark.parametrize("kind,build", [("image/jpeg", jpeg), ("image/png", png), ("image/webp", webp),
                                        ("image/heic", heif_file)])
def test_a_file_cut_anywhere_is_refused_or_comes_back_without_its_location(kind, build):
    original = build()
    for keep in range(0, len(original), max(1, len(original) // 150)):
        try:
            clean = photos.strip_location(original[:keep], kind)
        except InvalidInput as refused:
            assert refused.fields["photo"]
            continue
        assert gps_rationals(clean) == [] and XMP_MARKER not in clean


@pytest.mark.parametrize("kind,build", [("image/jpeg", jpeg), ("image/png", png), ("image/webp", webp),
                                        ("image/heic", heif_file)])
def test_a_damaged_header_is_refused_or_read_never_a_crash(kind, build):
    original = build()
    for at in range(min(len(original), 600)):
        damaged = original[:at] + bytes((original[at] ^ 0xFF,)) + original[at + 1:]
        try:
            photos.strip_location(damaged, kind)
        except InvalidInput:
            pass


# -- the whole check --------------------------------------------------------------------

def test_check_answers_the_type_and_the_clean_copy():
    kind, clean = photos.check(jpeg())
    assert kind == "image/jpeg"
    assert_no_location(clean)


def test_check_refuses_an_empty_file_an_oversize_file_and_a_non_photo_with_reasons():
    assert refusal(b"") == "is empty"
    oversize = jpeg()
    oversize += b"\x00" * (photos.MAX_BYTES + 1 - len(oversize))
    assert refusal(oversize) == "must be at most 10 MB"
    assert refusal(b"%PDF-1.7\n") == "must be a JPEG, PNG, HEIC or WebP photo"


def test_check_refuses_a_photo_it_cannot_read_with_the_same_message():
    with pytest.raises(InvalidInput) as refused:
        photos.check(jpeg()[:-100])
    assert refused.value.message == "This file is not a photo we can read."
    assert "cut short" in refused.value.fields["photo"]


def test_a_ticket_takes_at_most_five_photos_of_at_most_ten_megabytes():
    assert (photos.MAX_PER_TICKET, photos.MAX_BYTES) == (5, 10 * 1024 * 1024)

"""The lobby poster in a real headless Chromium: the admin opens the print-ready page, the QR
code shows and reads back (from Chromium's own pixels) as the property's form URL, the URL
is printed under it, and printing gives exactly one A4 page."""

from __future__ import annotations

import re
import struct
import zlib

from tests.pages.conftest import SHOTS, WAIT_MS, shot


def png_to_gray(data: bytes) -> tuple[int, int, bytes]:
    """A non-interlaced 8-bit RGB/RGBA PNG (what Chromium writes) as grey pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and color in (2, 6) and interlace == 0
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(bytes(line[i] for i in range(0, stride, channels)))  # the red channel: black/white only
        previous = line
    return width, height, b"".join(rows)


def test_an_admin_prints_the_lobby_poster(browser, base_url, zh_firm):
    context = browser.new_context(viewport={"width": 900, "height": 1200}, java_script_enabled=False,
                                  extra_http_headers={"Authorization": f"Bearer {zh_firm.admin_token}"})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        response = page.goto(f"{base_url}/api/properties/{zh_firm.property_id}/poster")
        assert response.status == 200
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.reload()  # now listening: the hashed inline style must not be refused by the CSP
        form = f"{base_url}/r/{zh_firm.slug}?property={zh_firm.property_id}"

        qr = page.locator("#qr")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box and abs(box["width"] - 125 * 96 / 25.4) < 3 and abs(box["width"] - box["height"]) < 2  # 125 mm square: the hashed style applied
        assert page.locator("#url").inner_text() == form
        assert page.locator("#property").inner_text() == "Garden Court"
        assert "报修与投诉" in page.locator("#poster").inner_text()
        assert "Report a repair or complaint" in page.locator("#poster").inner_text()
        assert page.locator("script").count() == 0
        assert not errors, errors
        shot(page, "poster")

        import zxingcpp
        width, height, pixels = png_to_gray(qr.screenshot(type="png"))
        result = zxingcpp.read_barcode(memoryview(pixels).cast("B", (height, width)))
        assert result and result.text == form

        pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
        (SHOTS / "poster.pdf").write_bytes(pdf)
        assert pdf.startswith(b"%PDF")
        assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == 1
        media = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
        assert media and abs(float(media.group(1)) - 595.3) < 2 and abs(float(media.group(2)) - 841.9) < 2
    finally:
        context.close()

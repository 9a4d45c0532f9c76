"""The firm's logo on its public scorecard: given as a small image (base64), shown inline on
the page (no extra request, no extra round trip), refused with the field and reason when it is
not one, and removable."""

from __future__ import annotations

import base64
import struct
import zlib

from tests.api.test_scorecard import publish
from tests.support import body


def png(width: int, height: int, noise: bool = False) -> bytes:
    import os
    rows = b"".join(b"\x00" + (os.urandom(3 * width) if noise else b"\x1f\x6f\xb4" * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_logo_shows_on_the_scorecard_inline_and_can_be_removed(client, firm):
    publish(firm, publish=True)
    image = png(8, 8)
    saved = firm.call("PUT", "/api/tenant/logo", {"image": base64.b64encode(image).decode()})
    assert saved.status_code == 200 and body(saved)["content_type"] == "image/png"
    html = client.http.get(f"/p/{firm.slug}/scorecard?lang=en").body.decode()
    assert f'src="data:image/png;base64,{base64.b64encode(image).decode()}"' in html
    assert f'alt="Firm {firm.slug} logo"' in html
    assert firm.call("DELETE", "/api/tenant/logo").status_code == 200
    assert "data:image/png" not in client.http.get(f"/p/{firm.slug}/scorecard?lang=en").body.decode()


def test_what_is_not_a_small_image_is_refused_naming_the_field(client, firm):
    cases = {"not base64!": "must be base64",
             base64.b64encode(b"%PDF-1.4 not a logo").decode(): "must be a PNG, JPEG or WebP image",
             base64.b64encode(png(120, 120, noise=True)).decode(): "must be at most 24 kB"}
    for text, reason in cases.items():
        refused = firm.call("PUT", "/api/tenant/logo", {"image": text})
        assert refused.status_code == 422, refused.body
        assert body(refused)["error"]["fields"] == {"image": reason}
    assert "data:image" not in client.http.get(f"/p/{firm.slug}/scorecard?lang=en").body.decode()

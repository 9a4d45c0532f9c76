"""Lobby posters: an admin's A4 SVG and print-ready HTML per property, with a QR code that
reads back (zxing-cpp) as the property's report form URL. 401/403/404 for these routes are
in the isolation matrix (test_isolation.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.support import Firm, body

SVG_NS = "{http://www.w3.org/2000/svg}"
RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\3z")


@pytest.fixture(scope="module")
def admin_firm(client):
    return Firm.sign_up(client, locale="zh-CN")


def get(firm, path, token=None, **headers):
    return firm.client.http.request("GET", path, headers={"Authorization": f"Bearer {token or firm.admin_token}",
                                                          **headers}, body=b"")


def poster_svg(firm, query="", **headers):
    response = get(firm, f"/api/properties/{firm.property_id}/poster.svg{query}", **headers)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    return response


def drawn_modules(root) -> list[list[bool]]:
    """The QR code as drawn: the nested <svg id="qr">'s path, one unit per module."""
    qr = next(e for e in root.iter(f"{SVG_NS}svg") if e.get("id") == "qr")
    size = int(qr.get("viewBox").split()[2]) - 8  # viewBox includes a 4-module quiet zone each side
    grid = [[False] * size for _ in range(size)]
    d = qr.find(f"{SVG_NS}path").get("d")
    assert RUN.sub("", d) == "", "the path holds only module runs"
    for x, y, n in ((int(a), int(b), int(c)) for a, b, c in RUN.findall(d)):
        for i in range(n):
            grid[y][x + i] = True
    return grid


def read_qr(grid: list[list[bool]]) -> str | None:
    """Rasterize the drawn modules (4 px each, quiet zone) and read them with a real decoder."""
    import zxingcpp
    scale, quiet = 4, 4
    n = len(grid) + 2 * quiet
    rows = []
    for y in range(n * scale):
        gy = y // scale - quiet
        rows.append(bytes(0 if 0 <= gy < len(grid) and 0 <= x // scale - quiet < len(grid)
                          and grid[gy][x // scale - quiet] else 255 for x in range(n * scale)))
    image = memoryview(b"".join(rows)).cast("B", (n * scale, n * scale))
    result = zxingcpp.read_barcode(image)
    return result.text if result else None


def form_url(firm, base="http://localhost") -> str:
    return f"{base}/r/{firm.slug}?property={firm.property_id}"


def test_the_svg_is_an_a4_poster_whose_qr_code_reads_back_as_the_propertys_form(admin_firm):
    response = poster_svg(admin_firm, Host="localhost")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.body)
    assert root.tag == f"{SVG_NS}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("210mm", "297mm", "0 0 210 297")
    texts = {e.get("id"): e.text for e in root.iter(f"{SVG_NS}text") if e.get("id")}
    assert texts["firm"] == f"Firm {admin_firm.slug}"
    assert texts["property"] == "Garden Court"
    assert texts["url"] == form_url(admin_firm)
    all_text = " ".join(e.text or "" for e in root.iter(f"{SVG_NS}text"))
    assert "报修与投诉" in all_text and "Report a repair or complaint" in all_text  # both when no ?lang
    assert "微信" in all_text and "WeChat" in all_text

    grid = drawn_modules(root)
    assert read_qr(grid) == form_url(admin_firm)
    import segno  # and it is exactly segno's symbol for that URL
    expected = [[bool(v) for v in row] for row in
                segno.make(form_url(admin_firm), error="m", micro=False).matrix_iter(scale=1, border=0)]
    assert grid == expected


def test_the_configured_public_url_wins_over_the_host_header(admin_firm, monkeypatch):
    from chalicelib.settings import settings
    monkeypatch.setenv("PROPDESK_PUBLIC_BASE_URL", "https://desk.example.com/")
    settings.cache_clear()
    try:
        root = ET.fromstring(poster_svg(admin_firm, Host="evil.example").body)
    finally:
        monkeypatch.delenv("PROPDESK_PUBLIC_BASE_URL")
        settings.cache_clear()
    assert read_qr(drawn_modules(root)) == form_url(admin_firm, "https://desk.example.com")


def test_behind_a_proxy_the_forwarded_scheme_and_host_are_used(admin_firm):
    root = ET.fromstring(poster_svg(admin_firm, Host="desk.example.org", **{"X-Forwarded-Proto": "https"}).body)
    assert read_qr(drawn_modules(root)) == form_url(admin_firm, "https://desk.example.org")


@pytest.mark.parametrize("lang, present, absent", [
    ("zh-CN", ["报修与投诉", "用手机相机或微信扫一扫"], ["Report a repair or complaint"]),
    ("en", ["Report a repair or complaint", "Scan with your phone camera or WeChat"], ["报修与投诉"]),
])
def test_one_language_when_asked(admin_firm, lang, present, absent):
    text = poster_svg(admin_firm, f"?lang={lang}").body.decode()
    for wanted in present:
        assert wanted in text
    for unwanted in absent:
        assert unwanted not in text
    page = get(admin_firm, f"/api/properties/{admin_firm.property_id}/poster?lang={lang}").body.decode()
    assert f'<html lang="{lang}">' in page
    for wanted in present:
        assert wanted in page
    for unwanted in absent:
        assert unwanted not in page


@pytest.mark.parametrize("path", ["poster.svg", "poster"])
def test_an_unknown_language_is_422_naming_lang(admin_firm, path):
    response = get(admin_firm, f"/api/properties/{admin_firm.property_id}/{path}?lang=fr")
    assert response.status_code == 422
    assert body(response)["error"]["fields"] == {"lang": "must be zh-CN or en"}


def test_hostile_names_are_text_in_the_svg_and_the_page(client):
    firm = Firm.sign_up(client, with_register=False)
    name = '<script>alert(1)</script> & "Court" <svg onload=alert(2)>'
    firm.property_id = body(firm.call("POST", "/api/properties", {"name": name}))["id"]
    response = poster_svg(firm)
    root = ET.fromstring(response.body)  # still well-formed XML
    assert next(e.text for e in root.iter(f"{SVG_NS}text") if e.get("id") == "property") == name
    assert not list(root.iter(f"{SVG_NS}script"))
    assert b"<script" not in response.body and b"<svg onload" not in response.body
    page = get(firm, f"/api/properties/{firm.property_id}/poster")
    assert page.status_code == 200
    html = page.body.decode()
    assert "<script" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_html_poster_is_print_ready_with_a_hashed_style_and_no_script(admin_firm):
    response = get(admin_firm, f"/api/properties/{admin_firm.property_id}/poster", Host="localhost")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "'unsafe-inline'" not in csp and "default-src 'none'" in csp
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'", csp)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.body.decode()
    assert "@page{size:A4" in html and "<script" not in html
    assert '<svg id="qr"' in html and form_url(admin_firm) in html
    assert '<html lang="zh-CN">' in html  # the firm's language leads when both are shown
    assert html.index("报修与投诉") < html.index("Report a repair or complaint")


def test_staff_cannot_download_posters(admin_firm):
    _, staff_token = admin_firm.add_staff()
    for path in ("poster.svg", "poster"):
        response = get(admin_firm, f"/api/properties/{admin_firm.property_id}/{path}", token=staff_token)
        assert response.status_code == 403


def test_the_routes_are_documented(admin_firm):
    paths = body(admin_firm.client.http.get("/openapi.json"))["paths"]
    assert "/api/properties/{property_id}/poster.svg" in paths
    assert "/api/properties/{property_id}/poster" in paths

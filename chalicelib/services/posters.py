"""Lobby posters: a printable A4 poster per property with a QR code (segno) to the
property's report form, in zh-CN, en or both.

The QR code is drawn from segno's module matrix as one SVG path (one ``M x y h n v1 h-n z``
run per row of dark modules), so the same drawing serves the SVG download and the
print-ready HTML page. segno and the catalogues load only when a poster is asked for.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import quote

from ..domain.identity import Identity
from ..store import registry as registry_store
from ..store import tenants as tenant_store

LANGS = ("zh-CN", "en")
HEADLINE = "Report a repair or complaint"
HINT = "Scan with your phone camera or WeChat"
OR_OPEN = "or open this address:"
CALL = "Service desk: %(phone)s"
FIND = "Lost the link to your report? %(url)s"
QUIET = 4  # modules of white around the code, as the QR standard asks
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class QR:
    modules: int  # the symbol's width in modules, without the quiet zone
    path: str     # SVG path data, one unit per module, origin at the symbol's corner


@dataclass(frozen=True)
class Poster:
    firm: str
    property_name: str
    url: str
    langs: tuple[str, ...]            # the languages shown, the first one leading
    texts: dict[str, dict[str, str]]  # lang → headline, hint, or_open, call, find
    qr: QR
    service_phone: str = ""  # the property's own, else the firm's (domain/resident_page.py)
    find_url: str = ""  # find my reports (/r/{slug}/mine)


def form_url(base_url: str, slug: str, property_id: str) -> str:
    return f"{base_url.rstrip('/')}/r/{quote(slug, safe='')}?property={quote(property_id, safe='')}"


def qr_code(data: str) -> QR:
    import segno
    code = segno.make(data, error="m", micro=False)
    parts = []
    for y, row in enumerate(code.matrix_iter(scale=1, border=0)):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return QR(modules=code.symbol_size(scale=1, border=0)[0], path="".join(parts))


def texts(lang: str) -> dict[str, str]:
    from .. import web
    return {"headline": web.gettext(lang, HEADLINE), "hint": web.gettext(lang, HINT),
            "or_open": web.gettext(lang, OR_OPEN), "call": web.gettext(lang, CALL), "find": web.gettext(lang, FIND)}


def poster(who: Identity, property_id: str, base_url: str, lang: str | None) -> Poster:
    """The poster's content for one of the caller's properties (admins only; another
    firm's property is NotFound, like every read)."""
    who.require_admin()
    prop = registry_store.get_property(who.tenant_id, property_id)
    tenant = tenant_store.get_tenant(who.tenant_id)
    if lang:
        langs: tuple[str, ...] = (lang,)
    else:
        first = "en" if (tenant.locale or "").lower().startswith("en") else "zh-CN"
        langs = (first, *[x for x in LANGS if x != first])
    url = form_url(base_url, tenant.slug, prop.property_id)
    from ..domain.resident_page import service_phone
    return Poster(firm=clean(tenant.name), property_name=clean(prop.name), url=url, langs=langs,
                  texts={x: texts(x) for x in langs}, qr=qr_code(url),
                  service_phone=clean(service_phone(tenant.resident_page, prop.service_phone)),
                  find_url=f"{base_url.rstrip('/')}/r/{quote(tenant.slug, safe='')}/mine")


def clean(text: str | None) -> str:
    """Text as it may appear in XML 1.0 (control characters dropped); escaping is separate."""
    return _NOT_XML.sub("", text or "")


def esc(text: str) -> str:
    return html.escape(clean(text), quote=True)


def qr_svg(qr: QR, *, x: float | None = None, y: float | None = None, size: float | None = None,
           title: str = "") -> str:
    """The code as an <svg> element (nested in the poster, or inline in the HTML page)."""
    box = qr.modules + 2 * QUIET
    place = "" if x is None else f' x="{x:g}" y="{y:g}" width="{size:g}" height="{size:g}"'
    label = f"<title>{esc(title)}</title>" if title else ""
    return (f'<svg id="qr" class="qr" role="img" xmlns="http://www.w3.org/2000/svg"{place} '
            f'viewBox="-{QUIET} -{QUIET} {box} {box}" shape-rendering="crispEdges">{label}'
            f'<rect x="-{QUIET}" y="-{QUIET}" width="{box}" height="{box}" fill="#fff"/>'
            f'<path fill="#000" d="{qr.path}"/></svg>')


FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"


def svg(p: Poster) -> str:
    """The whole poster as an A4 SVG (210 × 297 mm, user units are millimetres)."""
    lines: list[str] = []

    def text(y: float, value: str, size: float, *, weight: str = "400", fill: str = "#0b0c0c",
             lang: str | None = None, ident: str | None = None) -> None:
        attrs = f' id="{ident}"' if ident else ""
        attrs += f' xml:lang="{lang}"' if lang else ""
        lines.append(f'<text{attrs} x="105" y="{y:g}" font-size="{size:g}" font-weight="{weight}" '
                     f'fill="{fill}" text-anchor="middle">{esc(value)}</text>')

    lines.append('<rect width="210" height="297" fill="#fff"/>')
    lines.append('<rect width="210" height="34" fill="#1d3557"/>')
    text(14, p.firm, 7, weight="700", fill="#fff", ident="firm")
    text(26, p.property_name, 9, weight="700", fill="#fff", ident="property")
    y = 50.0
    for lang in p.langs:
        text(y, p.texts[lang]["headline"], 11 if lang == p.langs[0] else 8.5, weight="700", lang=lang)
        y += 12 if lang == p.langs[0] else 10
    size = 130.0
    lines.append(qr_svg(p.qr, x=(210 - size) / 2, y=y, size=size, title=p.url))
    y += size + 9
    text(y, p.url, 4.2 if len(p.url) <= 70 else 3.2, ident="url")
    y += 13
    for lang in p.langs:
        text(y, p.texts[lang]["hint"], 6 if lang == p.langs[0] else 5, lang=lang)
        y += 9
    if p.service_phone:
        text(min(y, 290), p.texts[p.langs[0]]["call"] % {"phone": p.service_phone}, 5, weight="700",
             lang=p.langs[0], ident="service-phone")
    body = "".join(lines)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" '
            f'font-family="{esc(FONT)}" lang="{p.langs[0]}">'
            f"<title>{esc(p.firm)} · {esc(p.property_name)}</title>{body}</svg>")

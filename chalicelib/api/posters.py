"""Lobby posters for admins: per property, an A4 SVG and a print-ready HTML page with a
QR code to the property's report form. segno, jinja2 and babel load on first use."""

from __future__ import annotations

import base64
import hashlib
import re

from chalice import Blueprint, Response

from ..domain.errors import InvalidInput
from ..domain.fields import Choice, Shape
from .http import Call, endpoint, lazy, site_url
from .pages import CSP, PAGE_HEADERS, page

posters = lazy("chalicelib.services.posters")

bp = Blueprint(__name__)

LANGS = {"zh-cn": "zh-CN", "en": "en"}
POSTER_QUERY = Shape(fields={"lang": Choice(options=("zh-CN", "en"), required=False,
                                             description="the poster's language; both when absent")})
STYLE = re.compile(r"<style>(.*?)</style>", re.S)
SVG_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
RESPONSES = {200: "the poster", 403: "admins only", 404: "no such property",
             422: "lang is not zh-CN or en, or this site's address cannot be told"}


def poster_lang(call: Call) -> str | None:
    """``?lang=zh-CN|en``; absent (or empty) means both languages."""
    raw = call.query.get("lang")
    if raw is None or raw == "":
        return None
    lang = LANGS.get(raw.strip().lower().replace("_", "-"))
    if lang is None:
        raise InvalidInput("The poster's language must be zh-CN or en.", {"lang": "must be zh-CN or en"})
    return lang


@endpoint(bp, "/api/properties/{property_id}/poster.svg", "GET", admin=True, tags=["register"],
          summary="A lobby poster for the property, A4 SVG (?lang=zh-CN|en; both when absent)",
          query=POSTER_QUERY, responses=RESPONSES, produces=["image/svg+xml"])
def poster_svg(call: Call, property_id: str) -> Response:
    lang = poster_lang(call)
    poster = posters.poster(call.who, property_id, site_url(call), lang)
    return Response(body=posters.svg(poster), status_code=200, headers={
        **PAGE_HEADERS, "Content-Type": "image/svg+xml; charset=utf-8", "Content-Security-Policy": SVG_CSP})


@endpoint(bp, "/api/properties/{property_id}/poster", "GET", admin=True, tags=["register"],
          summary="A lobby poster for the property, print-ready A4 HTML (?lang=zh-CN|en; both when absent)",
          query=POSTER_QUERY, responses=RESPONSES, produces=["text/html"])
def poster_page(call: Call, property_id: str) -> Response:
    from markupsafe import Markup

    from .. import web
    lang = poster_lang(call)
    poster = posters.poster(call.who, property_id, site_url(call), lang)
    html = web.render("poster.html", poster.langs[0], poster=poster,
                      qr=Markup(posters.qr_svg(poster.qr, title=poster.url)),  # noqa: S704 - built from escaped parts
                      title=f"{poster.firm} · {poster.property_name}")
    return page(200, html, **{"Content-Security-Policy": style_csp(html)})


def style_csp(html: str) -> str:
    """The pages' CSP, with the poster's one inline stylesheet allowed by its hash."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
                      for m in STYLE.findall(html))
    return CSP.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())

"""The console's edge: the cookie session, CSRF and origin checks, and ``console_page``,
which is to console pages what ``http.endpoint`` is to JSON routes.

Who is asking comes only from the ID token in the HttpOnly session cookie, verified by
the very same ``auth.verify`` the API's authorizer runs (signature, issuer, app client,
tenant and role claims). An expired ID token is renewed with the refresh token cookie
and the new one is set on the answer. API Gateway's TOKEN authorizer reads a single
header, so JSON routes keep ``Authorization: Bearer`` and console pages check the cookie
here, with the same ``Identity`` binding: the tenant id never comes from a URL or form.

Every POST must come from our own origin (``Origin`` / ``Sec-Fetch-Site``) and carry the
session's CSRF token, derived from the refresh token, which scripts cannot read.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlsplit

from chalice import Blueprint, Response

from ...domain.errors import DomainError, Forbidden, MalformedRequest, NotFound, PayloadTooLarge, Unauthorized
from ...domain.identity import Identity, IdentityUnavailable
from ...observability import logger, metrics, request_scope
from ..http import SECURITY_HEADERS, Call, site_url
from ..pages import CSP, HTML  # the residents' pages' policy: no script, nothing framed

# Referrer only to ourselves (console URLs name tickets): with no-referrer at all, browsers
# send "Origin: null" on our own form posts and the origin check could not tell.
PAGE_HEADERS = {**SECURITY_HEADERS, "Referrer-Policy": "same-origin", "Content-Type": HTML, "Content-Security-Policy": CSP,
                "X-Frame-Options": "DENY", "Vary": "Cookie, Accept-Language"}

ID_COOKIE = "pd_id"        # the Cognito ID token (about 1 kB; a browser session cookie)
REFRESH_COOKIE = "pd_rt"   # the refresh token, for 30 days
PRE_COOKIE = "pd_pre"      # a random value for the signed-out forms' CSRF token
LANG_COOKIE = "pd_lang"    # the console language the person chose
COOKIE_PATH = "/console"
REFRESH_DAYS = 30
FORM_MAX_BYTES = 256 * 1024


# --- cookies --------------------------------------------------------------------------------

def cookies(call: Call) -> dict[str, str]:
    jar: dict[str, str] = {}
    for part in (call.header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in jar:
            jar[name] = value
    return jar


def set_cookie(name: str, value: str, *, max_age: int | None = None, http_only: bool = True) -> str:
    parts = [f"{name}={value}", f"Path={COOKIE_PATH}", "Secure", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def clear_cookie(name: str) -> str:
    return set_cookie(name, "", max_age=0)


def session_cookies(tokens: dict, refresh_token: str | None = None) -> list[str]:
    """Set-Cookie values for a fresh sign-in (tokens has IdToken and RefreshToken) or a
    renewal (tokens has IdToken; the refresh token stays)."""
    values = [set_cookie(ID_COOKIE, tokens["IdToken"])]
    if tokens.get("RefreshToken"):
        values.append(set_cookie(REFRESH_COOKIE, tokens["RefreshToken"], max_age=REFRESH_DAYS * 86400))
    return values


def csrf_for(secret: str) -> str:
    """The CSRF token that goes with a session (the refresh token) or a signed-out form
    (the pd_pre cookie): a hash a page can carry but another site cannot compute."""
    digest = hashlib.sha256(b"propdesk-console-csrf\0" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def same_origin(call: Call) -> bool:
    """A POST from another site is refused: browsers send Sec-Fetch-Site and Origin."""
    fetch_site = (call.header("sec-fetch-site") or "").lower()
    if fetch_site:  # set by the browser itself; a page's script cannot forge it
        return fetch_site in ("same-origin", "none")
    origin = call.header("origin")
    if origin is None:
        return True  # older browsers and scripts: the CSRF token still has to match
    if origin == "null":
        return False
    try:
        expected = urlsplit(site_url(call)).netloc.lower()
    except DomainError:
        return False
    host = (call.header("host") or "").lower()
    return urlsplit(origin).netloc.lower() in {expected, host}


# --- the person ----------------------------------------------------------------------------

@dataclass
class Session:
    identity: Identity | None
    refresh_token: str | None
    set_cookies: list[str] = field(default_factory=list)


def _verify(token: str) -> Identity | None:
    from ...domain.identity import TokenRejected
    from ...services.access import verify  # the authorizer's own check: token + the person's standing
    try:
        return verify(token)
    except TokenRejected:
        return None


def read_session(call: Call) -> Session:
    """The signed-in person, renewing an expired ID token with the refresh token. A refresh
    token that is garbage, unknown, revoked or of a removed person is simply "signed out"
    (its cookies are cleared); only an unreachable identity provider raises
    (IdentityUnavailable)."""
    jar = cookies(call)
    id_token, refresh_token = jar.get(ID_COOKIE), jar.get(REFRESH_COOKIE)
    who = _verify(id_token) if id_token else None
    if who is not None or not refresh_token:
        return Session(who, refresh_token)
    from ...adapters import identity as directory
    from ...domain.identity import IdentityUnavailable
    signed_out = Session(None, None, [clear_cookie(ID_COOKIE), clear_cookie(REFRESH_COOKIE)])
    try:
        tokens = directory.refresh(refresh_token)
    except IdentityUnavailable:
        raise
    except DomainError:
        return signed_out
    who = _verify(tokens["IdToken"])
    if who is None:  # renewed, but the person's standing no longer admits them
        return signed_out
    # an adapter that rotates refresh tokens (accounts) sends the next one: it is the session now
    return Session(who, tokens.get("RefreshToken") or refresh_token, session_cookies(tokens))


# --- what a console handler sees ----------------------------------------------------------

def _web():
    from ... import web
    return web


def parse_form(call: Call, files: bool = False) -> dict[str, Any]:
    """A urlencoded form: one value → str, repeated names → list. A page that takes a file
    (``files``) reads a multipart form too (console/uploads.py, imported only then)."""
    content_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    if files and content_type == "multipart/form-data":
        from .uploads import parse_multipart
        return parse_multipart(call.header("content-type") or "", call.body_bytes())
    if content_type != "application/x-www-form-urlencoded":
        raise MalformedRequest("The form was not sent the way our pages send it.",
                               {"body": "must be application/x-www-form-urlencoded"})
    try:
        pairs = parse_qs(call.body_bytes().decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise MalformedRequest("The form is not UTF-8.", {"body": "must be UTF-8"}) from None
    return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}


@dataclass
class Page:
    """One console request: the person (None on signed-out pages), language, CSRF token,
    the posted form, and helpers that answer with a page or a redirect."""
    call: Call
    identity: Identity | None
    lang: str
    csrf: str
    form: dict[str, Any]
    set_cookies: list[str] = field(default_factory=list)

    @property
    def who(self) -> Identity:
        return self.call.who  # Unauthorized when nobody is signed in

    @property
    def query(self) -> dict[str, str]:
        return self.call.query

    @property
    def path(self) -> str:
        return self.call.raw.context.get("path") or ""

    def t(self, message: str) -> str:
        return _web().gettext(self.lang, message, console=True)

    def value(self, name: str) -> str:
        """One form field as text ('' when absent; the first of repeated values)."""
        raw = self.form.get(name, "")
        return str(raw[0] if isinstance(raw, list) and raw else raw if not isinstance(raw, list) else "")

    def values(self, name: str) -> list[str]:
        raw = self.form.get(name)
        return [] if raw is None else [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]

    def render(self, template: str, status: int = 200, *, title: str, **context: Any) -> Response:
        body = _web().render(template, self.lang, title=title, who=self.identity, csrf=self.csrf,
                             path=self.path, query=self.query, **context)
        return self.answer(Response(body=body, status_code=status, headers=dict(PAGE_HEADERS)))

    def redirect(self, location: str) -> Response:
        return self.answer(Response(body="", status_code=303, headers={**PAGE_HEADERS, "Location": location}))

    def answer(self, response: Response) -> Response:
        cookies_out = list(self.set_cookies)
        if cookies_out:
            response.headers["Set-Cookie"] = cookies_out if len(cookies_out) > 1 else cookies_out[0]
        return response


def field_errors(page: Page, error: DomainError, messages: dict[str, str] | None = None) -> dict[str, str]:
    """A refusal's fields in the page's language: a message the page names for that field,
    else the service's reason (English) prefixed with a translated 'not accepted'."""
    messages = messages or {}
    errors = {}
    for name, reason in (error.fields or {}).items():
        errors[name] = page.t(messages[name]) if name in messages else str(reason)
    return errors


@dataclass(frozen=True)
class ConsolePage:
    path: str
    methods: tuple[str, ...]
    signed_in: bool
    admin: bool


PAGES: list[ConsolePage] = []  # every console page, for the access tests and the benchmark


def console_page(bp: Blueprint, path: str, methods: tuple[str, ...] = ("GET",), *, signed_in: bool = True,
                 admin: bool = False, max_body: int = FORM_MAX_BYTES, files: bool = False) -> Callable:
    """Register ``fn(page, **path_params) -> Response`` as a console page (``files``: its form
    may carry a file, multipart; the file is an ``uploads.Upload`` in ``page.form``).

    GET without a session redirects to sign-in (and back afterwards); POST must pass the
    origin and CSRF checks first, whoever is asking. ``admin`` pages answer 403 to staff.
    A NotFound anywhere (another tenant's id included) answers the console's 404 page."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            return _handle(bp, fn, params, signed_in, admin, max_body, files)

        PAGES.append(ConsolePage(path, tuple(methods), signed_in, admin))
        for method in methods:  # one route per method: Chalice checks content types on GETs too
            kwargs: dict[str, Any] = {"methods": [method]}
            if method == "POST":
                kwargs["content_types"] = ["application/x-www-form-urlencoded", "multipart/form-data"]
            bp.route(path, name=f"console_{fn.__name__}_{method.lower()}", **kwargs)(view)
        return fn

    return decorate


def _language(call: Call) -> str:
    web = _web()
    chosen = web.locale(call.query.get("lang")) or web.locale(cookies(call).get(LANG_COOKIE))
    return web.choose_language(chosen, call.header("accept-language"), None)


def _handle(bp: Blueprint, fn: Callable, params: dict, signed_in: bool, admin: bool, max_body: int,
            files: bool = False) -> Response:
    request = bp.current_request
    context = request.context or {}
    call = Call(request, None)
    lang = _language(call)
    set_cookies: list[str] = []
    if _web().locale(call.query.get("lang")):
        set_cookies.append(set_cookie(LANG_COOKIE, lang, max_age=365 * 86400))
    page = Page(call, None, lang, "", {}, set_cookies)
    failure = None
    try:  # whatever the cookies hold, the answer is one of our pages
        page = _with_session(page, signed_in)
    except IdentityUnavailable:
        failure = 503
    except Exception:  # a bug, never bad input
        logger.exception("session not read")
        failure = 500
    who = page.identity
    with request_scope(request_id=context.get("requestId") or "", tenant_id=who.tenant_id if who else None,
                       route=f"{request.method} {context.get('resourcePath', '')}"):
        try:
            if failure == 503:
                logger.info("identity provider unavailable")
                response = message_page(page, 503, "Sign-in is not available just now",
                                        "Nothing was changed. Try again in a minute.")
            elif failure == 500:
                response = message_page(page, 500, "Something went wrong on our side",
                                        "Nothing was lost that was saved before. Try again in a moment.")
            else:
                audited = admin and request.method == "POST" and who is not None and who.role == "admin"
                if audited:  # what the form's services note a setting was and is (services/audit.py)
                    from ...services import audit
                    with audit.noting() as changes:
                        response = _run(page, fn, params, signed_in, admin, max_body, request.method, files)
                else:
                    response = _run(page, fn, params, signed_in, admin, max_body, request.method, files)
                if audited and response.status_code < 400:
                    # the audit log, as for the API's admin changes: who, what page, the answer
                    # (a refused form changes nothing and writes nothing, the log included)
                    audit.record(who, f"POST {context.get('resourcePath', '')}", params, response.status_code,
                                 call.source_ip, changes)
        except Exception:  # a bug, never bad input: log it, answer a plain page
            logger.exception("unhandled error")
            response = message_page(page, 500, "Something went wrong on our side",
                                    "Nothing was lost that was saved before. Try again in a moment.")
        logger.info("request done", extra={"status": response.status_code})
    metrics.flush_if_any()
    return response


def _with_session(page: Page, signed_in: bool) -> Page:
    """The page's person and CSRF token from the session cookies (inside the console's error
    handling: whatever the cookies hold, the answer is a page)."""
    call = page.call
    jar = cookies(call)
    session = read_session(call) if signed_in or jar.get(REFRESH_COOKIE) else Session(None, None)
    who = session.identity
    set_cookies = list(page.set_cookies) + list(session.set_cookies)
    if who is not None and session.refresh_token:
        csrf = csrf_for(session.refresh_token)
    else:
        pre = jar.get(PRE_COOKIE)
        if not pre or not PRE_VALUE.fullmatch(pre):
            pre = secrets.token_urlsafe(18)
            set_cookies.append(set_cookie(PRE_COOKIE, pre))
        csrf = csrf_for(pre)
    return Page(Call(call.raw, who), who, page.lang, csrf, {}, set_cookies)


PRE_VALUE = re.compile(r"[A-Za-z0-9_\-]{16,64}")


def web_known(tag: str) -> bool:
    return _web().locale(tag) is not None


def _run(page: Page, fn: Callable, params: dict, signed_in: bool, admin: bool, max_body: int,
         method: str, files: bool = False) -> Response:
    call = page.call
    try:
        if method == "POST":
            if len(call.body_bytes()) > max_body:
                raise PayloadTooLarge("The form is too large.", {"body": f"must be at most {max_body} bytes"})
            if not same_origin(call):
                logger.info("console post refused", extra={"reason": "origin"})
                return message_page(page, 403, "This form came from another site",
                                    "For your safety nothing was changed. Open the page again and send it from there.")
            page.form = parse_form(call, files)
            if not hmac.compare_digest(str(page.form.get("csrf", "")), page.csrf):
                logger.info("console post refused", extra={"reason": "csrf"})
                return message_page(page, 403, "This form has expired",
                                    "For your safety nothing was changed. Open the page again and send it from there.")
        if signed_in and page.identity is None:
            if method == "GET":
                return page.redirect("/console/signin?next=" + quote(_here(call), safe=""))
            return message_page(page, 401, "Your session has ended", "Sign in again, then send the form again.",
                                link=("/console/signin", "Sign in"))
        if admin:
            page.who.require_admin()
        return fn(page, **params)
    except NotFound:
        return message_page(page, 404, "Page not found", "There is nothing here, or it belongs to another firm.")
    except Forbidden:
        return message_page(page, 403, "Only admins can open this page", "Ask an admin of your firm.")
    except Unauthorized:
        return page.redirect("/console/signin")
    except DomainError as error:
        # handlers catch the refusals they can show beside a field; the rest lands here
        logger.info("request refused", extra={"status": error.status, "code": error.code,
                                              "fields": sorted(error.fields)})
        details = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
        return message_page(page, error.status, "That was not accepted", error.message, details=details)


def _here(call: Call) -> str:
    path = call.raw.context.get("path") or "/console"
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in call.query.items())
    return path + ("?" + query if query else "")


# Where sign-in may send a person afterwards: a path of our own console, with an optional
# query of plain or percent-escaped characters. No scheme, host, "//", backslash, dot
# segments, spaces or control characters (a CR/LF would end up in the Location header).
NEXT_TARGET = re.compile(r"/console(?:/(?!\.{1,2}(?:[/?]|$))[A-Za-z0-9._~\-]+)*/?(?:\?[A-Za-z0-9._~\-=&%+]{0,1024})?")


def safe_next(target: str | None) -> str:
    """Only our own console paths are followed after sign-in (no open redirect, no header
    injection); anything else goes to the console's start."""
    if target and len(target) <= 2048 and NEXT_TARGET.fullmatch(target):
        return target
    return "/console"


def message_page(page: Page, status: int, heading: str, message: str, *, details: str = "",
                 link: tuple[str, str] | None = None) -> Response:
    return page.render("console/message.html", status, title=page.t(heading), heading=page.t(heading),
                       message=page.t(message), details=details,
                       link=(link[0], page.t(link[1])) if link else None)

"""Signed-out console pages: sign up a firm, sign in (with the first sign-in's new
password), forgotten password, and sign out. The backend talks to Cognito; the browser
only ever holds the session cookies."""

from __future__ import annotations

from urllib.parse import quote

from chalice import Blueprint, Response

from ...domain.errors import Conflict, InvalidInput, RateLimited, Unauthorized
from ...domain.fields import Email, Shape, Text
from ...settings import settings
from ..http import Call, endpoint, lazy
from .session import (ID_COOKIE, PRE_COOKIE, REFRESH_COOKIE, Page, clear_cookie, console_page, field_errors,
                      safe_next, session_cookies)

directory = lazy("chalicelib.adapters.identity")
sign_ins = lazy("chalicelib.services.audit")
access = lazy("chalicelib.services.access")
signup_service = lazy("chalicelib.services.signup")
templates_service = lazy("chalicelib.services.templates")

bp = Blueprint(__name__)

SIGN_IN = Shape(fields={"email": Email(), "password": Text(max_len=256)})
NEW_PASSWORD = Shape(fields={"email": Email(), "session": Text(max_len=4096), "new_password": Text(max_len=256)})
FORGOT = Shape(fields={"email": Email()})
RESET = Shape(fields={"email": Email(), "code": Text(max_len=20), "new_password": Text(max_len=256)})

# Field → what to say when it is refused (English msgids; zh-CN in console_signin.po).
SIGNUP_MESSAGES = {
    "name": "Enter the firm's name (up to 120 characters)",
    "slug": "Use 3 to 40 lower-case letters, digits or hyphens, like green-court",
    "time_zone": "Choose a time zone from the list",
    "locale": "Choose a language",
    "admin_email": "Enter an e-mail address like name@example.com that has no PropDesk account yet",
    "admin_name": "Keep your name under 80 characters",
    "template": "Choose one of the starting standards",
}
SIGNIN_MESSAGES = {"email": "Enter your e-mail address", "password": "Enter your password"}
PASSWORD_MESSAGES = {"new_password": "Use at least 8 characters with upper and lower case letters and a digit",
                     "code": "The code is not right or has expired",
                     "email": "Enter your e-mail address", "session": "Sign in again"}
TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Europe/London", "Europe/Dublin",
              "America/New_York", "Australia/Sydney", "UTC")


@console_page(bp, "/console", signed_in=True)
def home(page: Page) -> Response:
    return page.redirect("/console/queue")


@endpoint(bp, "/console/console.css", "GET", auth=False, summary="The console's stylesheet (cacheable)",
          tags=["console"], responses={200: "text/css"})
def stylesheet(call: Call) -> Response:
    """A plain route, not a console page: fetching CSS reads no session."""
    from ... import web
    from ..pages import css_response
    return css_response(call, web.console_stylesheet(), web.console_stylesheet_version())


# --- sign in -------------------------------------------------------------------------------

def _signed_in(page: Page, tokens: dict, target: str | None, email: str) -> Response:
    """Set the session, after the same check every later page makes (the token, and the
    person's standing in their firm: a deactivated person gets no session); this also
    leaves the person's standing cached for the pages that follow."""
    from ...domain.identity import TokenRejected
    try:
        access.verify(tokens["IdToken"])
    except TokenRejected:
        return _signin_form(page, {"email": email}, {"password": page.t("This account is not active in this firm")},
                            target, status=401)
    page.set_cookies += session_cookies(tokens) + [clear_cookie(PRE_COOKIE)]
    return page.redirect(safe_next(target))


@console_page(bp, "/console/signin", ("GET", "POST"), signed_in=False)
def sign_in(page: Page) -> Response:
    target = page.value("next") or page.query.get("next")
    values = {"email": page.value("email") or page.query.get("email", "")}
    if page.call.raw.method == "GET":
        if page.identity is not None:
            return page.redirect(safe_next(target))
        notice = {"reset": "Your password is changed. Sign in with it.",
                  "out": "You have signed out."}.get(page.query.get("done", ""))
        return _signin_form(page, values, {}, target, notice=page.t(notice) if notice else "")
    try:
        data = SIGN_IN.parse_body({"email": page.value("email"), "password": page.value("password")})
        result = sign_ins.sign_in(data["email"], data["password"], source_ip=page.call.source_ip, via="console")
    except InvalidInput as error:
        return _signin_form(page, values, field_errors(page, error, SIGNIN_MESSAGES), target, status=422)
    except Unauthorized:
        return _signin_form(page, values, {"password": page.t("The e-mail or password is not right, or the account is disabled")},
                            target, status=401)
    except RateLimited:
        return _signin_form(page, values, {"password": page.t("Too many failed sign-ins; wait 15 minutes")},
                            target, status=429)
    if result.tokens:
        return _signed_in(page, result.tokens, target, data["email"])
    if result.challenge == "NEW_PASSWORD_REQUIRED":
        return _new_password_form(page, data["email"], result.session or "", {}, target)
    if result.challenge == "SOFTWARE_TOKEN_MFA":
        return _totp_form(page, data["email"], result.session or "", {}, target)
    return _signin_form(page, values, {"password": page.t("This account needs a step the console cannot do yet")},
                        target, status=401)


def _signin_form(page: Page, values: dict, errors: dict, target: str | None, *, status: int = 200,
                 notice: str = "") -> Response:
    return page.render("console/signin.html", status, title=page.t("Sign in"), values=values, errors=errors,
                       next=safe_next(target), notice=notice)


def _new_password_form(page: Page, email: str, session: str, errors: dict, target: str | None,
                       status: int = 200) -> Response:
    return page.render("console/new_password.html", status, title=page.t("Choose a new password"), email=email,
                       session=session, errors=errors, next=safe_next(target))


@console_page(bp, "/console/new-password", ("POST",), signed_in=False)
def new_password(page: Page) -> Response:
    target = page.value("next")
    email, session = page.value("email"), page.value("session")
    if page.value("new_password") != page.value("confirm"):
        return _new_password_form(page, email, session, {"confirm": page.t("The two passwords are not the same")},
                                  target, 422)
    try:
        data = NEW_PASSWORD.parse_body({"email": email, "session": session, "new_password": page.value("new_password")})
        result = sign_ins.sign_in(data["email"], "", source_ip=page.call.source_ip, via="console",
                                  step=lambda: directory.complete_new_password(data["email"], data["session"],
                                                                               data["new_password"]))
    except InvalidInput as error:
        return _new_password_form(page, email, session, field_errors(page, error, PASSWORD_MESSAGES), target, 422)
    except Unauthorized:
        return _signin_form(page, {"email": email}, {"password": page.t("That took too long. Sign in again with the temporary password")},
                            target, status=401)
    if result.challenge == "SOFTWARE_TOKEN_MFA":
        return _totp_form(page, email, result.session or "", {}, target)
    if not result.tokens:
        return _signin_form(page, {"email": email}, {"password": page.t("Sign in again")}, target, status=401)
    return _signed_in(page, result.tokens, target, email)


# --- the second step: a code from the authenticator app (admins who set it up) ----------------

TOTP_STEP = Shape(fields={"email": Email(), "session": Text(max_len=4096), "code": Text(max_len=20)})


def _totp_form(page: Page, email: str, session: str, errors: dict, target: str | None, status: int = 200) -> Response:
    return page.render("console/totp.html", status, title=page.t("Enter the code from your app"), email=email,
                       session=session, errors=errors, next=safe_next(target))


@console_page(bp, "/console/totp", ("POST",), signed_in=False)
def totp(page: Page) -> Response:
    target = page.value("next")
    email, session = page.value("email"), page.value("session")
    try:
        data = TOTP_STEP.parse_body({"email": email, "session": session, "code": page.value("code")})
        result = sign_ins.sign_in(data["email"], "", source_ip=page.call.source_ip, via="console",
                                  step=lambda: directory.complete_totp(data["email"], data["session"], data["code"]))
    except InvalidInput as error:
        errors = {"code": page.t("The code is not right; enter the one your app shows now")} if "code" in error.fields \
            else field_errors(page, error, PASSWORD_MESSAGES)
        return _totp_form(page, email, session, errors, target, 422)
    except RateLimited:
        return _signin_form(page, {"email": email}, {"password": page.t("Too many failed sign-ins; wait 15 minutes")},
                            target, status=429)
    except Unauthorized:
        return _signin_form(page, {"email": email}, {"password": page.t("That took too long. Sign in again")},
                            target, status=401)
    return _signed_in(page, result.tokens or {}, target, email)


# --- forgotten password --------------------------------------------------------------------

@console_page(bp, "/console/forgot", ("GET", "POST"), signed_in=False)
def forgot(page: Page) -> Response:
    if page.call.raw.method == "GET":
        return page.render("console/forgot.html", title=page.t("Forgotten password"), step="ask",
                           values={"email": page.query.get("email", "")}, errors={})
    values = {"email": page.value("email"), "code": page.value("code")}
    if page.value("step") == "reset":
        try:
            data = RESET.parse_body({"email": page.value("email"), "code": page.value("code").strip(),
                                     "new_password": page.value("new_password")})
            directory.confirm_forgot_password(data["email"], data["code"], data["new_password"])
        except InvalidInput as error:
            return page.render("console/forgot.html", 422, title=page.t("Forgotten password"), step="reset",
                               values=values, errors=field_errors(page, error, PASSWORD_MESSAGES))
        return page.redirect("/console/signin?done=reset&email=" + quote(values["email"], safe=""))
    try:
        data = FORGOT.parse_body({"email": page.value("email")})
        sent = directory.forgot_password(data["email"])
    except InvalidInput as error:
        return page.render("console/forgot.html", 422, title=page.t("Forgotten password"), step="ask",
                           values=values, errors=field_errors(page, error, PASSWORD_MESSAGES))
    except RateLimited:
        return page.render("console/forgot.html", 429, title=page.t("Forgotten password"), step="ask",
                           values=values, errors={"email": page.t("Too many requests; wait a few minutes")})
    return page.render("console/forgot.html", title=page.t("Forgotten password"), step="reset", values=values,
                       errors={}, local_code=sent.local_code)


# --- sign out ------------------------------------------------------------------------------

@console_page(bp, "/console/signout", ("POST",), signed_in=True)
def sign_out(page: Page) -> Response:
    access.sign_out(page.who)  # every device: tokens refused, refresh tokens revoked
    page.set_cookies = [clear_cookie(ID_COOKIE), clear_cookie(REFRESH_COOKIE)]
    return page.redirect("/console/signin?done=out")


# --- sign up -------------------------------------------------------------------------------

@console_page(bp, "/console/signup", ("GET", "POST"), signed_in=False)
def sign_up(page: Page) -> Response:
    names = sorted(templates_service.available().keys())
    fields = ("name", "slug", "time_zone", "locale", "admin_email", "admin_name", "template")
    values = {name: page.value(name) for name in fields}
    if page.call.raw.method == "GET":
        values.update(time_zone="Asia/Shanghai", locale=page.lang, template=names[0] if names else "")
        return _signup_form(page, values, {}, names)
    if not values["slug"] and values["name"]:
        # no short name typed: suggest one from the firm's name (pinyin for a Chinese name) and
        # let the admin keep or change it; nothing is created yet
        from ...domain.tenants import suggest_slug
        suggested = suggest_slug(values["name"])
        if suggested:
            values["slug"] = suggested
            return _signup_form(page, values, {}, names, suggested=suggested)
    local = settings().is_local and not directory.invites_by_code()  # accounts: a code by e-mail, locally too
    temporary = signup_service.local_temporary_password() if local else None
    try:
        answer = signup_service.sign_up({k: v for k, v in values.items() if v != "" or k in ("name", "slug",
                                         "time_zone", "locale", "admin_email")},
                                        send_invite=not local, temporary_password=temporary)
    except (InvalidInput, Conflict) as error:
        errors = field_errors(page, error, SIGNUP_MESSAGES)
        if isinstance(error, Conflict) and "slug" in error.fields:
            errors["slug"] = page.t("Another firm already uses this short name; choose another")
        if isinstance(error, Conflict) and "admin_email" in error.fields:
            errors["admin_email"] = page.t("This e-mail address already has a PropDesk account")
        return _signup_form(page, values, errors, names, status=error.status)
    return page.render("console/signed_up.html", 201, title=page.t("Your firm is signed up"), answer=answer,
                       temporary=temporary, email=values["admin_email"], by_code=directory.invites_by_code())


def _signup_form(page: Page, values: dict, errors: dict, names: list[str], *, status: int = 200,
                 suggested: str = "") -> Response:
    from ... import web
    named = [(name, web.localized(templates_service.load(name).get("name"), page.lang, "")
              or page.t("Service standards template")) for name in names]  # a name, never the file's key
    return page.render("console/signup.html", status, title=page.t("Sign up your firm"), values=values,
                       errors=errors, templates=named, time_zones=TIME_ZONES, suggested=suggested)


@console_page(bp, "/console/account", signed_in=True)
def account(page: Page) -> Response:
    """Who is signed in, and the way out; for admins under our own accounts, the second factor
    (one GetItem of the account, only then)."""
    return _account_page(page)


def _account_page(page: Page, *, status: int = 200, setup: dict | None = None, errors: dict | None = None,
                  notice: str = "") -> Response:
    totp = None
    if page.who.role == "admin" and directory.totp_available():
        totp = {"enabled": directory.totp_enabled(page.who.email)}
    return page.render("console/account.html", status, title=page.t("Your account"), totp=totp, setup=setup,
                       errors=errors or {}, notice=notice)


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno), for the authenticator app to scan."""
    import io

    import segno
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True, title="otpauth QR")
    return out.getvalue().decode()


@console_page(bp, "/console/account/totp", ("POST",), signed_in=True, admin=True)
def account_totp(page: Page) -> Response:
    """Set up (``start`` → scan → ``confirm`` with a first code) or turn off the authenticator
    code. The secret is shown on the ``start`` answer only; it is never logged."""
    if not directory.totp_available():
        return _account_page(page, status=404)
    action, email = page.value("action"), page.who.email
    try:
        if action == "start":
            from markupsafe import Markup
            setup = directory.start_totp(email)
            return _account_page(page, setup={**setup, "qr": Markup(_qr_svg(setup["uri"]))})
        if action == "confirm":
            directory.confirm_totp(email, page.value("code"))
            return _account_page(page, notice=page.t("Two-step sign-in is on. Next time you will be asked for a code."))
        if action == "disable":
            directory.disable_totp(email, page.value("code"))
            return _account_page(page, notice=page.t("Two-step sign-in is off."))
    except InvalidInput:
        return _account_page(page, status=422,
                             errors={"code": page.t("The code is not right; enter the one your app shows now")},
                             setup={"confirming": True} if action == "confirm" else None)
    return page.redirect("/console/account")

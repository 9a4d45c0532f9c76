"""Routes anyone may call: sign-up, sign-in, health, residents' intake and tracking."""

from __future__ import annotations

from chalice import Blueprint

from ..domain import tickets as ticket_rules
from ..domain.fields import Email, Shape, Text
from ..observability import metrics
from ..domain.tenants import signup_shape
from ..services import templates
from ..settings import settings
from . import pages
from .http import Call, endpoint, lazy

signup_service = lazy("chalicelib.services.signup")
ticket_service = lazy("chalicelib.services.tickets")
identity = lazy("chalicelib.adapters.identity")

bp = Blueprint(__name__)

SIGN_IN = Shape(fields={"email": Email(), "password": Text(max_len=256)})
NEW_PASSWORD = Shape(fields={"email": Email(), "session": Text(max_len=4096), "new_password": Text(min_len=8, max_len=256)})


@endpoint(bp, "/healthz", "GET", auth=False, summary="Liveness check", tags=["meta"], responses={200: "ok"})
def healthz(call: Call) -> dict:
    return {"ok": True}


@endpoint(bp, "/signup", "POST", auth=False, summary="Sign up a property firm and its first admin", tags=["tenants"],
          request=signup_shape(templates.available().keys()), responses={201: "firm created", 409: "slug or e-mail taken",
                                                     422: "invalid fields"})
def signup(call: Call):
    local = settings().is_local
    temporary = signup_service.local_temporary_password() if local else None
    answer = signup_service.sign_up(call.json(), send_invite=not local, temporary_password=temporary)
    if temporary:
        answer["admin"]["local_only"] = {"temporary_password": temporary,
                                         "note": "No e-mail is sent on the local stack; Cognito would send this."}
    metrics.count("TenantSignedUp")
    return 201, answer


@endpoint(bp, "/auth/signin", "POST", auth=False, summary="Sign in with e-mail and password (Cognito)",
          tags=["auth"], request=SIGN_IN,
          responses={200: "tokens, or a NEW_PASSWORD_REQUIRED challenge with its session", 401: "wrong credentials"})
def sign_in(call: Call) -> dict:
    data = SIGN_IN.parse_body(call.json())
    result = identity.sign_in(data["email"], data["password"])
    if result.tokens:
        return {"tokens": result.tokens}
    return {"challenge": result.challenge, "session": result.session,
            "next": "POST /auth/new-password with email, session and new_password"}


@endpoint(bp, "/auth/new-password", "POST", auth=False, summary="Answer the first sign-in's new password challenge",
          tags=["auth"], request=NEW_PASSWORD, responses={200: "tokens", 401: "session expired", 422: "weak password"})
def new_password(call: Call) -> dict:
    data = NEW_PASSWORD.parse_body(call.json())
    result = identity.complete_new_password(data["email"], data["session"], data["new_password"])
    return {"tokens": result.tokens} if result.tokens else {"challenge": result.challenge, "session": result.session}


@endpoint(bp, "/r/{slug}/tickets", "POST", auth=False, summary="A resident reports a problem", tags=["residents"],
          request=ticket_rules.intake_shape(), content_types=["application/json", "application/x-www-form-urlencoded"],
          headers=["Idempotency-Key"],
          responses={201: "ticket created (or the same ticket again for a retried key: Idempotent-Replayed: true)",
                     404: "no such firm", 413: "body too large", 422: "invalid fields",
                     429: "too many reports from this address or to this firm just now"})
def submit(call: Call, slug: str):
    body = call.form_or_json()
    if pages.is_form(call):
        if pages.wants_html(call):  # a browser's form: 303 to the tracking page, or the form again
            return pages.submit_form(call, slug, body)
        body = pages.report_from_form(pages.flat_values(body))  # flat form names, JSON answer
    answer, replayed = ticket_service.submit_report(slug.lower(), body,
                                                    idempotency_key=call.header("idempotency-key"),
                                                    source_ip=call.source_ip)
    if not replayed:
        metrics.count("TicketCreated")
    return 201, answer, {"Idempotent-Replayed": "true" if replayed else "false",
                         "Location": answer["ticket"]["tracking_url"]}


@endpoint(bp, "/t/{token}", "GET", auth=False, summary="A resident's tracking link: status and public timeline",
          tags=["residents"], responses={200: "status timeline (HTML when the client accepts text/html)",
                                         404: "unknown link"})
def track(call: Call, token: str):
    if pages.wants_html(call):
        return pages.tracking_page(call, token)
    return ticket_service.track(token)


def _resident_act(call: Call, token: str, action: str, field: str):
    body = call.form_or_json()
    if pages.is_form(call):
        if pages.wants_html(call):  # a browser's form: 303 back to the tracking page, or the page again
            return pages.resident_form_post(call, token, action, body)
        body = {field: pages._one(body.get(field))}
    act = ticket_service.resident_reply if action == "reply" else ticket_service.resident_not_fixed
    view = act(token, body)
    metrics.count("ResidentReplied" if action == "reply" else "ResidentNotFixed")
    return 201, view


@endpoint(bp, "/t/{token}/reply", "POST", auth=False, summary="The resident answers while staff wait on them",
          tags=["residents"], request=ticket_rules.RESIDENT_EVENT_SHAPES["reply"],
          content_types=["application/json", "application/x-www-form-urlencoded"],
          responses={201: "recorded: the tracking view (a browser's form: 303 to the tracking page)",
                     404: "unknown link", 409: "the ticket is not waiting on the resident, or changed meanwhile",
                     422: "invalid fields"})
def resident_reply(call: Call, token: str):
    return _resident_act(call, token, "reply", "body")


@endpoint(bp, "/t/{token}/not-fixed", "POST", auth=False,
          summary="The resident says a resolved ticket is not fixed (within 14 days): it reopens",
          tags=["residents"], request=ticket_rules.RESIDENT_EVENT_SHAPES["not_fixed"],
          content_types=["application/json", "application/x-www-form-urlencoded"],
          responses={201: "reopened: the tracking view (a browser's form: 303 to the tracking page)",
                     404: "unknown link", 409: "not resolved, the 14 days have passed, or changed meanwhile",
                     422: "invalid fields"})
def resident_not_fixed(call: Call, token: str):
    return _resident_act(call, token, "not_fixed", "reason")

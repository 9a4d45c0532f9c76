"""Routes anyone may call: sign-up, sign-in, health, residents' intake and tracking."""

from __future__ import annotations

from chalice import Blueprint

from ..domain import tickets as ticket_rules
from ..domain.errors import TransitionRefused
from ..domain.fields import Choice, Email, ListOf, Shape, Text
from ..observability import metrics
from ..settings import settings
from . import pages
from .http import Call, Later, endpoint, lazy

signup_service = lazy("chalicelib.services.signup")
ticket_service = lazy("chalicelib.services.tickets")
photo_service = lazy("chalicelib.services.photos")
photo_rules = lazy("chalicelib.domain.photos")
survey_rules = lazy("chalicelib.domain.surveys")
tenant_rules = lazy("chalicelib.domain.tenants")
templates = lazy("chalicelib.services.templates")
identity = lazy("chalicelib.adapters.identity")
sign_ins = lazy("chalicelib.services.audit")

bp = Blueprint(__name__)

SIGN_IN = Shape(fields={"email": Email(), "password": Text(max_len=256)})
NEW_PASSWORD = Shape(fields={"email": Email(), "session": Text(max_len=4096), "new_password": Text(min_len=8, max_len=256)})


@endpoint(bp, "/healthz", "GET", auth=False, summary="Liveness check", tags=["meta"], responses={200: "ok"})
def healthz(call: Call) -> dict:
    return {"ok": True}


@endpoint(bp, "/signup", "POST", auth=False, summary="Sign up a property firm and its first admin", tags=["tenants"],
          request=Later(lambda: tenant_rules.signup_shape(templates.available().keys())),
          responses={201: "firm created", 409: "slug or e-mail taken", 422: "invalid fields"})
def signup(call: Call):
    local = settings().is_local and not identity.invites_by_code()  # accounts: the code reaches a local mailbox too
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
    result = sign_ins.sign_in(data["email"], data["password"], source_ip=call.source_ip, via="api")
    if result.tokens:
        return {"tokens": result.tokens}
    step = "POST /auth/totp with email, session and code" if result.challenge == "SOFTWARE_TOKEN_MFA" \
        else "POST /auth/new-password with email, session and new_password"
    return {"challenge": result.challenge, "session": result.session, "next": step}


@endpoint(bp, "/auth/new-password", "POST", auth=False, summary="Answer the first sign-in's new password challenge",
          tags=["auth"], request=NEW_PASSWORD, responses={200: "tokens", 401: "session expired", 422: "weak password"})
def new_password(call: Call) -> dict:
    data = NEW_PASSWORD.parse_body(call.json())
    result = sign_ins.sign_in(data["email"], "", source_ip=call.source_ip, via="api",
                              step=lambda: identity.complete_new_password(data["email"], data["session"],
                                                                          data["new_password"]))
    return {"tokens": result.tokens} if result.tokens else {"challenge": result.challenge, "session": result.session}


# The hosted form's flat names, as a form-encoded body carries them (pages.flat_values reads
# these and nothing else; the JSON body's nested shape is intake_shape()).
INTAKE_FORM = Shape(fields={
    "place": Text(required=False, max_len=60, description="property_id:building_id, as the form's list gives it"),
    "property_id": Text(required=False, max_len=26, description="with building_id, when place is not sent"),
    "building_id": Text(required=False, max_len=26),
    "unit": Text(max_len=32), "category": Text(max_len=40), "urgency": Text(max_len=40),
    "description": Text(min_len=5, max_len=4000),
    "entry_present": Choice(options=("yes", "no"), required=False, description="no: staff may enter without you"),
    "window_day": ListOf(item=Text(max_len=3), required=False, max_items=2, description="mon … sun, one per row"),
    "window_from": ListOf(item=Text(max_len=5), required=False, max_items=2, description="HH:MM, one per row"),
    "window_to": ListOf(item=Text(max_len=5), required=False, max_items=2, description="HH:MM, one per row"),
    "pets": Text(required=False, max_len=200),
    "contact_name": Text(required=False, max_len=80), "contact_phone": Text(required=False, max_len=24),
    "contact_email": Text(required=False, max_len=254),
    "nonce": Text(required=False, max_len=128, description="the form's retry key"),
    "lang": Choice(options=("zh-CN", "en"), required=False),
})
TOTP_STEP = Shape(fields={"email": Email(), "session": Text(max_len=4096), "code": Text(max_len=20)})


@endpoint(bp, "/auth/totp", "POST", auth=False, summary="Answer the SOFTWARE_TOKEN_MFA challenge of an admin with "
          "two-step sign-in (accounts adapter)", tags=["auth"], request=TOTP_STEP,
          responses={200: "tokens", 401: "session expired", 422: "code not right", 429: "locked out"})
def totp(call: Call) -> dict:
    data = TOTP_STEP.parse_body(call.json())
    return {"tokens": sign_ins.sign_in(data["email"], "", source_ip=call.source_ip, via="api", step=lambda: (
        identity.complete_totp(data["email"], data["session"], data["code"]))).tokens}


@endpoint(bp, "/r/{slug}/tickets", "POST", auth=False, summary="A resident reports a problem", tags=["residents"],
          request=ticket_rules.intake_shape(), content_types=["application/json", "application/x-www-form-urlencoded"],
          headers=["Idempotency-Key"], form=INTAKE_FORM, produces=["application/json", "text/html"],
          responses={201: "ticket created (or the same ticket again for a retried key: Idempotent-Replayed: true)",
                     303: "a browser's form: to the tracking page",
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
                                         404: "unknown link", 422: "this site's address cannot be told"}, produces=["application/json", "text/html"])
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
          produces=["application/json", "text/html"],
          responses={201: "recorded: the tracking view", 303: "a browser's form: to the tracking page",
                     404: "unknown link", 409: "the ticket is not waiting on the resident, or changed meanwhile",
                     422: "invalid fields"})
def resident_reply(call: Call, token: str):
    return _resident_act(call, token, "reply", "body")


@endpoint(bp, "/t/{token}/not-fixed", "POST", auth=False,
          summary="The resident says a resolved ticket is not fixed (within 14 days): it reopens",
          tags=["residents"], request=ticket_rules.RESIDENT_EVENT_SHAPES["not_fixed"],
          content_types=["application/json", "application/x-www-form-urlencoded"],
          produces=["application/json", "text/html"],
          responses={201: "reopened: the tracking view", 303: "a browser's form: to the tracking page",
                     404: "unknown link", 409: "not resolved, the 14 days have passed, or changed meanwhile",
                     422: "invalid fields"})
def resident_not_fixed(call: Call, token: str):
    return _resident_act(call, token, "not_fixed", "reason")


@endpoint(bp, "/t/{token}/escalate", "POST", auth=False,
          summary="The resident takes an answered complaint to its next stage (stage 1 to stage 2): a new report",
          tags=["residents"], request=ticket_rules.RESIDENT_EVENT_SHAPES["escalate"],
          content_types=["application/json", "application/x-www-form-urlencoded"],
          produces=["application/json", "text/html"],
          responses={201: "the next stage's report: number and tracking link (the same one again on a retry)",
                     303: "a browser's form: to the next stage's tracking page",
                     404: "unknown link", 409: "no next stage for this category, or not answered yet",
                     422: "invalid fields"})
def resident_escalate(call: Call, token: str):
    body = call.form_or_json()
    if pages.is_form(call):
        if pages.wants_html(call):
            return pages.escalate_form_post(call, token, body)
        body = {"reason": pages._one(body.get("reason"))}
    answer = ticket_service.resident_escalate(token, body)
    if not answer["replayed"]:
        metrics.count("ResidentEscalated")
    return 201, answer


# --- photos: the browser posts the file straight to S3; S3 sends it back here ------------

PHOTO_CONFIRM = Shape(fields={"key": Text(max_len=200, description="the key of the upload form's fields")})


@endpoint(bp, "/t/{token}/photos", "POST", auth=False,
          summary="A presigned S3 POST for one photo (for scripts and apps; the page has its own form)",
          tags=["residents"], responses={201: "url and fields to POST the file to (multipart, file last)",
                                         404: "unknown link", 409: "closed, or 5 photos already"})
def photo_upload_form(call: Call, token: str):
    view = ticket_service.track(token)
    if not photo_service.can_add(view):
        raise TransitionRefused("This report takes no more photos.",
                                {"photo": "the report is closed or has 5 photos already"})
    form = photo_service.upload_form(token, redirect=None)
    return 201, {"url": form.url, "fields": form.fields, "max_bytes": photo_rules.MAX_BYTES,
                 "accepted": list(photo_rules.ACCEPTED),
                 "then": f"POST /t/{token}/photos/added with {{\"key\": fields.key}}"}


@endpoint(bp, "/t/{token}/photos/added", "GET", auth=False,
          summary="Where S3 redirects the browser after an upload (?key=): the photo is checked and attached",
          tags=["residents"], responses={303: "back to the tracking page", 200: "the photo (JSON clients)",
                                         404: "unknown link or upload", 409: "closed, or 5 photos already",
                                         413: "over 10 MB", 422: "not a JPEG, PNG, HEIC or WebP image"},
          produces=["application/json", "text/html"])
def photo_added(call: Call, token: str):
    key = call.query.get("key") or ""
    if pages.wants_html(call):
        return pages.photo_added(call, token, key)
    return 200, photo_service.accept(token, key)


@endpoint(bp, "/t/{token}/photos/added", "POST", auth=False,
          summary="Confirm an upload made with the presigned POST: the photo is checked and attached",
          tags=["residents"], request=PHOTO_CONFIRM,
          responses={201: "the photo", 404: "unknown link or upload", 409: "closed, or 5 photos already",
                     413: "over 10 MB", 422: "not a JPEG, PNG, HEIC or WebP image"})
def photo_confirm(call: Call, token: str):
    data = PHOTO_CONFIRM.parse_body(call.json())
    return 201, photo_service.accept(token, data["key"])


# --- the after-resolution survey ------------------------------------------------------------

survey_service = lazy("chalicelib.services.surveys")


def survey_answer_shape() -> Shape:
    """What a survey answer may carry (the firm's own questions decide which are asked)."""
    return Shape(fields={
        "rating": Text(max_len=2, description="1-5 (required)"),
        "comment": Text(required=False, max_len=survey_rules.COMMENT_MAX),
        "nps": Text(required=False, max_len=2, description="0-10, when the firm asks it"),
        "fixed_first_visit": Text(required=False, max_len=3, description="yes | no, when the firm asks it"),
        **{f"sq_{d}": Text(required=False, max_len=1, description=f"SERVQUAL {d}, 1-5, when the firm asks it")
           for d in survey_rules.SERVQUAL_ITEMS},
    })


SURVEY_STATUS = {"answered": 409, "expired": 410, "not_open": 409}


def _survey_json(form) -> dict:
    return {"state": form.state, "ticket": {"number": form.ticket.number, "category": form.ticket.category},
            "until": form.until.isoformat().replace("+00:00", "Z") if form.until else None,
            "questions": {"rating": True, "comment": True, "nps": form.questions.nps,
                          "fixed_first_visit": form.questions.fixed_question, "servqual": form.questions.servqual}}


@endpoint(bp, "/s/{token}", "GET", auth=False,
          summary="A survey link: the questions (?rating=1-5 pre-chooses a rating; only a POST records it)",
          tags=["surveys"], responses={200: "the survey (HTML for browsers)", 404: "unknown link",
                                       410: "expired (HTML)"}, produces=["application/json", "text/html"])
def survey_form(call: Call, token: str):
    if pages.wants_html(call):
        if call.query.get("thanks"):
            return pages.survey_page(call, token, state="thanks")
        form = survey_service.form_by_link(token)
        return pages.survey_page(call, token, status=410 if form.state == "expired" else 200)
    return _survey_json(survey_service.form_by_link(token))


@endpoint(bp, "/s/{token}", "POST", auth=False, summary="Answer a survey from its link (once)", tags=["surveys"],
          request=Later(survey_answer_shape), content_types=["application/json", "application/x-www-form-urlencoded"],
          produces=["application/json", "text/html"],
          responses={201: "recorded", 303: "a browser's form: to a thank-you page", 404: "unknown link",
                     409: "already answered", 410: "the link has expired", 422: "invalid answers"})
def survey_answer(call: Call, token: str):
    body = call.form_or_json()
    if pages.is_form(call) and pages.wants_html(call):
        return pages.survey_post(call, token, body, via_tracking=False)
    return _answer(call, lambda b: survey_service.answer_by_link(token, b), body)


@endpoint(bp, "/t/{token}/survey", "POST", auth=False,
          summary="Answer the survey from the tracking page (once the report is resolved)", tags=["surveys"],
          request=Later(survey_answer_shape), content_types=["application/json", "application/x-www-form-urlencoded"],
          produces=["application/json", "text/html"],
          responses={201: "recorded", 303: "a browser's form: back to the tracking page", 404: "unknown link",
                     409: "already answered, or not resolved", 422: "invalid answers"})
def tracking_survey_answer(call: Call, token: str):
    body = call.form_or_json()
    if pages.is_form(call) and pages.wants_html(call):
        return pages.survey_post(call, token, body, via_tracking=True)
    return _answer(call, lambda b: survey_service.answer_by_tracking(token, b), body)


def _answer(call: Call, record, body):
    if pages.is_form(call):
        body = {k: v for k, v in pages.survey_values(body).items() if v != ""}
    try:
        form = record(body)
    except TransitionRefused as error:
        from ..domain.surveys import refused_state
        error.status = SURVEY_STATUS[refused_state(error)]
        raise
    metrics.count("SurveyAnswered")
    return 201, _survey_json(form)

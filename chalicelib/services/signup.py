"""A property firm signs up: its slug, its standards from a template, its first admin."""

from __future__ import annotations

from datetime import datetime, timezone

from ..adapters import identity as directory
from ..domain.errors import DomainError
from ..domain.fields import Shape
from ..domain.standards import check_document, normalize
from ..domain.tenants import signup_shape
from ..domain.tokens import new_id
from ..store import tenants as store
from . import templates
from .staff import local_temporary_password  # noqa: F401 — the sign-up route offers it locally


def shape() -> Shape:
    return signup_shape(templates.available().keys())


def sign_up(body: object, *, now: datetime | None = None, send_invite: bool = True,
            temporary_password: str | None = None) -> dict:
    """Validate; create the admin in Cognito without mailing them yet; claim the slug and write
    tenant, standards and admin in one transaction; only then send the invitation. If the slug
    is taken the Cognito user is removed again, so there is never half a firm."""
    data = shape().parse_body(body)
    now = now or datetime.now(timezone.utc)
    standards = normalize(templates.load(data["template"]))
    standards.setdefault("calendar", {})["time_zone"] = data["time_zone"]
    check_document(standards)
    tenant = store.Tenant(tenant_id=new_id(), name=data["name"], slug=data["slug"], locale=data["locale"],
                          time_zone=data["time_zone"], template=data["template"], created_at=now)
    store.check_slug_free(tenant.slug)
    admin_name = data.get("admin_name") or data["admin_email"].split("@")[0]
    try:
        sub = directory.create_user(data["admin_email"], admin_name, tenant.tenant_id, "admin",
                                    temporary_password=temporary_password, send_invite=False)
    except DomainError as error:
        error.fields = {"admin_email": reason for field, reason in error.fields.items()}
        raise
    admin = store.User(sub=sub, email=data["admin_email"], name=admin_name, role="admin", active=True, version=1)
    try:
        store.create_tenant(tenant, standards, admin)
    except BaseException:
        directory.delete_user(data["admin_email"])
        raise
    if send_invite:
        directory.send_invitation(data["admin_email"])
    return {
        "tenant": {"id": tenant.tenant_id, "name": tenant.name, "slug": tenant.slug, "locale": tenant.locale,
                   "time_zone": tenant.time_zone, "template": tenant.template},
        "admin": {"email": data["admin_email"], "id": sub,
                  "next_step": "Cognito has e-mailed a temporary password: sign in and choose a new one."},
        "links": {"resident_form": f"/r/{tenant.slug}", "sign_in": "/auth/signin"},
    }

"""A firm's residents' pages settings: its service phone (and each property's), and its
personal information notice (its own text, or the default from the catalogues with the
firm's name and contact filled in). Rules in domain/resident_page.py."""

from __future__ import annotations

from ..domain import resident_page as rules
from ..domain import retention
from ..domain.identity import Identity
from ..store import registry as registry_store
from ..store import tenants as store

PROPERTY_PHONE = rules.PROPERTY_PHONE

# The default notice (English msgid; zh-CN in chalicelib/web/i18n/zh_CN/LC_MESSAGES/messages.po).
DEFAULT_NOTICE = (
    "%(firm)s collects what you give in this form (your unit, the problem, photos, when staff may enter, and your "
    "name, phone number and e-mail address if you give them) to handle your report and tell you about it. Only "
    "%(firm)s's staff see them. Contact details and entry notes are deleted %(days)s days after the report is "
    "closed, photos after %(photo_days)s days; the rest of the report is kept without them for service "
    "statistics. To see, correct or delete your information, or to withdraw your agreement, contact %(contact)s. "
    "By sending a report with a phone number or e-mail address, you agree that we contact you about it.")
NO_PHONE_CONTACT = "our service desk"


def notice(lang: str, firm: str, firm_page: dict | None, property_phone: str | None = None) -> str:
    """The notice a resident reads on the form, in ``lang``."""
    own = rules.custom_notice(firm_page, lang)
    if own:
        return own
    from .. import web
    contact = rules.service_phone(firm_page, property_phone) or web.gettext(lang, NO_PHONE_CONTACT)
    kept = retention.settings_of(firm_page)
    return web.gettext(lang, DEFAULT_NOTICE) % {"firm": firm, "days": kept["contact_days"],
                                                "photo_days": kept["photo_days"], "contact": contact}


def describe(who: Identity) -> dict:
    tenant = store.get_tenant(who.tenant_id)
    page = tenant.resident_page or {}
    return {"service_phone": page.get("service_phone") or "", "notice": page.get("notice") or {},
            "notice_version": rules.notice_version(page),
            "notice_shown": {lang: notice(lang, tenant.name, page) for lang in ("zh-CN", "en")}}


def change(who: Identity, body: object) -> dict:
    """An admin sets the firm's service phone and notice (empty notice: the default)."""
    who.require_admin()
    data = rules.SETTINGS_SHAPE.parse_body(body)
    tenant = store.get_tenant(who.tenant_id)
    page = rules.changed(tenant.resident_page, data)
    store.set_resident_page(who.tenant_id, tenant.slug, page)
    from . import audit
    was, now = tenant.resident_page or {}, page
    audit.changed("resident_page.service_phone", was.get("service_phone") or "", now.get("service_phone") or "")
    for lang in ("zh-CN", "en"):
        audit.changed(f"resident_page.notice.{lang}", (was.get("notice") or {}).get(lang, ""),
                      (now.get("notice") or {}).get(lang, ""))
    return describe(who)


def set_property_phone(who: Identity, property_id: str, body: object) -> dict:
    who.require_admin()
    data = PROPERTY_PHONE.parse_body(body)
    phone = (data.get("service_phone") or "").strip() or None
    registry_store.set_service_phone(who.tenant_id, property_id, phone)  # NotFound for another firm's
    # a copy in the firm's settings, so messages and the slug's one read know it too
    tenant = store.get_tenant(who.tenant_id)
    store.set_resident_page(who.tenant_id, tenant.slug,
                            rules.with_property_phone(tenant.resident_page, property_id, phone))
    from . import audit
    was = ((tenant.resident_page or {}).get("property_phones") or {}).get(property_id) or ""
    audit.changed("property.service_phone", was, phone or "")
    return {"id": property_id, "service_phone": phone}


def set_logo(who: Identity, body: object) -> dict:
    """An admin gives the firm's logo for its public scorecard (base64 PNG, JPEG or WebP)."""
    who.require_admin()
    data = rules.LOGO_SHAPE.parse_body(body)
    content_type, image, version = rules.logo(data["image"])
    tenant = store.get_tenant(who.tenant_id)
    store.set_logo(who.tenant_id, tenant.slug, content_type, image, version)
    return {"logo": version, "content_type": content_type}


def remove_logo(who: Identity) -> dict:
    who.require_admin()
    tenant = store.get_tenant(who.tenant_id)
    store.set_logo(who.tenant_id, tenant.slug, "", "", "")
    return {"logo": None}

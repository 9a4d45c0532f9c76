"""The audit log's rules (pure): what an entry says about where a change came from, and how
the log may be filtered."""

from __future__ import annotations

import ipaddress

from .fields import Integer, Shape, Text

QUERY = Shape(fields={"action": Text(required=False, max_len=120, description='a route, e.g. "PUT /api/standards"'),
                      "limit": Integer(required=False, minimum=1, maximum=500, default=100)})


def network_of(address: str) -> str:
    """An address's network, not the address: /24 for IPv4, /48 for IPv6 ('' if unreadable)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    return str(ipaddress.ip_network(f"{address}/{24 if ip.version == 4 else 48}", strict=False))


# What each recorded action is, in words (English msgids; zh-CN in console_audit.po): the
# console shows these, never the route. An action missing here shows as "Another change".
ACTION_NAMES = {
    "sign-in": "Signed in",
    "PUT /api/standards": "Changed the service standards",
    "POST /api/properties": "Added a property",
    "POST /api/properties/{property_id}/buildings": "Added a building",
    "POST /api/properties/{property_id}/buildings/{building_id}/units": "Added a unit",
    "POST /api/properties/{property_id}/units/import": "Imported units",
    "POST /api/staff": "Invited a colleague",
    "PATCH /api/staff/{staff_id}": "Changed a colleague's role, name or access",
    "PUT /api/tenant/resident-page": "Changed the residents' service phone or notice",
    "PUT /api/tenant/logo": "Set the scorecard's logo",
    "DELETE /api/tenant/logo": "Removed the scorecard's logo",
    "PUT /api/properties/{property_id}/service-phone": "Changed a property's service phone",
    "PUT /api/tenant/retention": "Changed how long personal data is kept",
    "POST /api/campaigns": "Started a satisfaction campaign",
    "PUT /api/properties/{property_id}/checklist": "Changed an inspection checklist",
    "POST /api/firm/exports": "Started an export of the firm's data",
    "POST /api/firm/deletion": "Asked for the firm's deletion",
    "DELETE /api/firm/deletion": "Cancelled the firm's deletion",
    "POST /console/inspections": "Chose whether the scorecard shows inspections",
    "POST /console/inspections/{property_id}/checklist": "Changed an inspection checklist",
    "POST /console/firm-data/export": "Started an export of the firm's data",
    "POST /console/firm-data/delete": "Asked for the firm's deletion",
    "POST /console/firm-data/cancel": "Cancelled the firm's deletion",
    "POST /console/register/properties": "Added a property",
    "POST /console/register/properties/{property_id}/buildings": "Added a building",
    "POST /console/register/properties/{property_id}/units": "Added a unit",
    "POST /console/register/properties/{property_id}/import": "Imported units",
    "POST /console/staff": "Invited a colleague",
    "POST /console/staff/{staff_id}": "Changed a colleague's role, name or access",
    "POST /console/channels/test": "Sent a test message",
    "POST /console/register/residents": "Changed the residents' service phone or notice",
    "POST /console/register/properties/{property_id}/phone": "Changed a property's service phone",
    "POST /console/replies": "Changed the standard replies",
    "POST /console/account/totp": "Changed their sign-in code (authenticator)",
    "POST /console/standards": "Changed the service standards",
    "POST /console/standards/upload": "Changed the service standards",
    "POST /console/scorecard": "Changed the public scorecard",
    "PUT /ops/firms/{tenant_id}/plan": "PropDesk changed the firm's plan",
}
OTHER_ACTION = "Another change"

# What each setting a service notes is called (services/audit.py ``changed``; English msgids,
# zh-CN in console_audit.po). The standards editor's own boxes (``standards:<box>``) are named
# as the editor names them (api/console/standards.py ``box_label``).
SETTING_NAMES = {
    "standards:survey.publish": "Public scorecard published",
    "standards:survey.publish_inspections": "Monthly inspections on the public scorecard",
    "standards:survey.publish_properties": "Properties on the public scorecard",
    "standards:other": "Other parts of the standards (names, categories, priorities, milestones)",
    "retention.contact_days": "Days after closing until contact details and entry notes are erased",
    "retention.photo_days": "Days after closing until photos are erased",
    "resident_page.service_phone": "The residents' service phone",
    "resident_page.notice.zh-CN": "Personal information notice (Chinese)",
    "resident_page.notice.en": "Personal information notice (English)",
    "property.service_phone": "The property's service phone",
    "staff.role": "Role",
    "staff.active": "Access",
    "staff.name": "Name",
    "plan": "Plan",
}
OTHER_SETTING = "Another setting"
SIGN_IN_OUTCOMES = {"signed_in": "Signed in", "second_step": "Password accepted, code asked",
                    "failed": "Sign-in refused", "locked": "Sign-in locked after repeated failures"}


def action_name(action: str, target: dict | None = None) -> str:
    """The English msgid for an entry (a sign-in by its outcome)."""
    if action == "sign-in":
        return SIGN_IN_OUTCOMES.get((target or {}).get("outcome", ""), "Signed in")
    return ACTION_NAMES.get(action, OTHER_ACTION)


def outcome_of(status: int) -> str:
    """The English msgid for how it ended: done (2xx/3xx), refused (4xx), failed (5xx)."""
    return "Done" if status < 400 else "Refused" if status < 500 else "Failed"

"""Admin routes: the firm, its standards, its property register and its staff.
Staff may read the firm, standards and register (they log tickets against them);
only admins change them or see the staff list."""

from __future__ import annotations

from chalice import Blueprint

from ..domain.fields import AnyObject, Shape
from .http import Call, Later, endpoint, lazy

registry = lazy("chalicelib.services.registry")
staff = lazy("chalicelib.services.staff")
firm = lazy("chalicelib.services.firm")
# the rules whose shapes the routes declare, loaded with the first request that uses them
registry_rules = lazy("chalicelib.domain.registry")
escalation_rules = lazy("chalicelib.domain.escalation")
tenant_rules = lazy("chalicelib.domain.tenants")
resident_page_rules = lazy("chalicelib.domain.resident_page")
retention_rules = lazy("chalicelib.domain.retention")
audit_rules = lazy("chalicelib.domain.audit")

bp = Blueprint(__name__)
STANDARDS_BODY = Shape(fields={"standards": AnyObject(description="the whole standards document (see tenants/README.md)")})
CSV_MAX_BYTES = 1024 * 1024


@endpoint(bp, "/api/tenant", "GET", summary="Your firm", tags=["tenant"], responses={200: "the firm"})
def get_tenant(call: Call) -> dict:
    return firm.describe(call.who)


@endpoint(bp, "/api/standards", "GET", summary="Your service standards document", tags=["standards"],
          responses={200: "the document; ETag is its version"})
def get_standards(call: Call):
    answer = firm.standards(call.who)
    return 200, answer, {"ETag": f'"{answer["version"]}"'}


@endpoint(bp, "/api/standards", "PUT", admin=True, summary="Replace your service standards (whole document)",
          tags=["standards"], request=STANDARDS_BODY, headers=["If-Match"],
          responses={200: "saved; the new version and what changed", 409: "someone saved another version first",
                     422: "every problem with its path; nothing saved", 428: "If-Match missing"})
def put_standards(call: Call):
    answer = firm.replace_standards(call.who, call.json(), call.header("if-match"))
    return 200, answer, {"ETag": f'"{answer["version"]}"'}


@endpoint(bp, "/api/standards/history", "GET", admin=True, summary="Who changed the standards, when, and what",
          tags=["standards"], responses={200: "versions, newest first"})
def standards_history(call: Call) -> dict:
    return firm.history(call.who)


@endpoint(bp, "/api/notifications", "GET", admin=True, summary="Notifications sent by escalations; ?status=failed",
          tags=["standards"], query=Later(lambda: escalation_rules.NOTIFICATIONS_QUERY), responses={200: "notifications, most recent first"})
def list_notifications(call: Call) -> dict:
    return firm.notifications(call.who, call.query)


@endpoint(bp, "/api/properties", "GET", summary="Your properties", tags=["register"], responses={200: "properties"})
def list_properties(call: Call) -> dict:
    return registry.list_properties(call.who)


@endpoint(bp, "/api/properties", "POST", admin=True, summary="Add a property", tags=["register"],
          request=Later(lambda: registry_rules.PROPERTY), responses={201: "added", 422: "invalid fields"})
def add_property(call: Call):
    return 201, registry.add_property(call.who, call.json())


@endpoint(bp, "/api/properties/{property_id}", "GET", summary="A property and its buildings", tags=["register"],
          responses={200: "the property", 404: "no such property"})
def get_property(call: Call, property_id: str) -> dict:
    return registry.get_property(call.who, property_id)


@endpoint(bp, "/api/properties/{property_id}/buildings", "POST", admin=True, summary="Add a building",
          tags=["register"], request=Later(lambda: registry_rules.BUILDING), responses={201: "added", 404: "no such property"})
def add_building(call: Call, property_id: str):
    return 201, registry.add_building(call.who, property_id, call.json())


@endpoint(bp, "/api/properties/{property_id}/buildings/{building_id}/units", "GET", summary="Units of a building",
          tags=["register"], responses={200: "units", 404: "no such building"})
def list_units(call: Call, property_id: str, building_id: str) -> dict:
    return registry.list_units(call.who, property_id, building_id)


@endpoint(bp, "/api/properties/{property_id}/buildings/{building_id}/units", "POST", admin=True,
          summary="Add a unit", tags=["register"], request=Later(lambda: registry_rules.UNIT),
          responses={201: "added", 404: "no such building", 409: "already registered"})
def add_unit(call: Call, property_id: str, building_id: str):
    return 201, registry.add_unit(call.who, property_id, building_id, call.json())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # = domain/register_files.XLSX_TYPE


@endpoint(bp, "/api/properties/{property_id}/units/import", "POST", admin=True,
          summary="Import units from a CSV file (UTF-8 or GB18030) or an Excel workbook's first sheet "
                  "(columns building,unit[,floor][,entrance], or 楼栋,单元,房号,楼层); all rows or none",
          tags=["register"], content_types=["text/csv", XLSX], max_body=CSV_MAX_BYTES,
          responses={201: "imported", 404: "no such property", 413: "file over 1 MB",
                     422: "row-level errors as rows[N].column; a file that cannot be read under file"})
def import_units(call: Call, property_id: str):
    kind = "xlsx" if (call.header("content-type") or "").split(";")[0].strip().lower() == XLSX else "csv"
    return 201, registry.import_units(call.who, property_id, file=call.body_bytes(), kind=kind)


@endpoint(bp, "/api/staff", "GET", admin=True, summary="Your staff and admins", tags=["staff"],
          responses={200: "people"})
def list_staff(call: Call) -> dict:
    return staff.list_staff(call.who)


@endpoint(bp, "/api/staff", "POST", admin=True, summary="Invite a colleague (Cognito e-mails them)", tags=["staff"],
          request=Later(lambda: tenant_rules.STAFF_INVITE), responses={201: "invited", 409: "e-mail already has an account"})
def invite_staff(call: Call):
    return 201, staff.invite(call.who, call.json())


@endpoint(bp, "/api/staff/{staff_id}", "PATCH", admin=True, summary="Change role, name, or deactivate",
          tags=["staff"], request=Later(lambda: tenant_rules.STAFF_CHANGE), headers=["If-Match?"],
          responses={200: "changed", 404: "no such person", 409: "stale version (when If-Match is sent)"})
def change_staff(call: Call, staff_id: str) -> dict:
    return staff.change(call.who, staff_id, call.json(), call.header("if-match"))


# --- residents' pages: service phone and personal information notice ---------------------


resident_page = lazy("chalicelib.services.resident_page")


@endpoint(bp, "/api/tenant/resident-page", "GET", admin=True,
          summary="Your service phone and personal information notice, as residents see them", tags=["tenant"],
          responses={200: "service_phone, notice (your own text per locale), notice_version, notice_shown"})
def get_resident_page(call: Call) -> dict:
    return resident_page.describe(call.who)


@endpoint(bp, "/api/tenant/resident-page", "PUT", admin=True,
          summary="Set the service phone shown to residents and your own notice (empty: the default text)",
          tags=["tenant"], request=Later(lambda: resident_page_rules.SETTINGS_SHAPE),
          responses={200: "saved; the notice's version moves when its text changes", 422: "invalid fields"})
def put_resident_page(call: Call) -> dict:
    return resident_page.change(call.who, call.json())


@endpoint(bp, "/api/tenant/logo", "PUT", admin=True,
          summary="Set the logo shown on your public scorecard: a PNG, JPEG or WebP image of at most 24 kB, base64",
          tags=["tenant"], request=Later(lambda: resident_page_rules.LOGO_SHAPE),
          responses={200: "saved: the logo's version and type", 422: "not base64, too large or not an image"})
def put_logo(call: Call) -> dict:
    return resident_page.set_logo(call.who, call.json())


@endpoint(bp, "/api/tenant/logo", "DELETE", admin=True, summary="Remove the logo from your public scorecard",
          tags=["tenant"], responses={200: "removed"})
def delete_logo(call: Call) -> dict:
    return resident_page.remove_logo(call.who)


@endpoint(bp, "/api/properties/{property_id}/service-phone", "PUT", admin=True,
          summary="Set (or clear, with an empty value) a property's own service phone", tags=["register"],
          request=Later(lambda: resident_page_rules.PROPERTY_PHONE),
          responses={200: "saved", 404: "no such property", 422: "invalid phone"})
def put_property_phone(call: Call, property_id: str) -> dict:
    return resident_page.set_property_phone(call.who, property_id, call.json())


# --- retention of residents' personal data -----------------------------------------------


retention = lazy("chalicelib.services.retention")


@endpoint(bp, "/api/tenant/retention", "GET", admin=True,
          summary="How long residents' contact details, entry notes and photos are kept after a report closes",
          tags=["tenant"], responses={200: "contact_days, photo_days"})
def get_retention(call: Call) -> dict:
    return retention.describe(call.who)


@endpoint(bp, "/api/tenant/retention", "PUT", admin=True,
          summary="Set the retention periods (for reports closed from now on; the residents' notice states them)",
          tags=["tenant"], request=Later(lambda: retention_rules.SETTINGS_SHAPE),
          responses={200: "saved: contact_days, photo_days", 422: "invalid fields"})
def put_retention(call: Call) -> dict:
    return retention.change(call.who, call.json())


# --- the audit log ---------------------------------------------------------------------------


audit = lazy("chalicelib.services.audit")


@endpoint(bp, "/api/audit", "GET", admin=True,
          summary="The audit log: every admin change (who, when, which route and ids, answer, network), newest first",
          tags=["tenant"], query=Later(lambda: audit_rules.QUERY),
          responses={200: "entries", 422: "invalid filter"})
def list_audit(call: Call) -> dict:
    return audit.entries(call.who, call.query)


# --- usage and plan ------------------------------------------------------------------------

metering = lazy("chalicelib.services.metering")


@endpoint(bp, "/api/usage", "GET", admin=True,
          summary="What the firm used this month and last (reports, staff events, messages by channel, SMS "
                  "segments, photos and bytes, API requests) and its plan's limits with what is in use",
          tags=["tenant"], responses={200: "plan, this_month, last_month, limits"})
def get_usage(call: Call) -> dict:
    return metering.usage(call.who)

"""Sign-up and staff forms (domain/tenants.py): what each field takes, the reason given for a
refused value, and the form as the API documents it. Expected values are written out by hand."""

from __future__ import annotations

import pytest

from chalicelib.domain import tenants
from chalicelib.domain.errors import InvalidInput

GOOD = {"name": "Harmony", "slug": "harmony", "time_zone": "Asia/Shanghai", "locale": "zh-CN",
        "admin_email": "a@example.com"}
SLUG_REASON = ("must be 3-40 lower-case letters, digits or hyphens, starting and ending with a letter or digit")


def refused(shape, body) -> dict:
    with pytest.raises(InvalidInput) as problem:
        shape.parse_body(body)
    return problem.value.fields


@pytest.mark.parametrize("slug", ["api", "admin", "r", "signup", "propdesk", "API"])
def test_a_reserved_slug_is_refused(slug):
    reason = "is reserved; choose another" if len(slug) >= 3 else "must be at least 3 characters"
    assert refused(tenants.signup_shape(), {**GOOD, "slug": slug}) == {"slug": reason}


@pytest.mark.parametrize("slug, reason", [
    ("a--b", "must not contain two hyphens in a row"),
    ("-abc", SLUG_REASON), ("abc-", SLUG_REASON), ("ab_c", SLUG_REASON), ("a" * 41, "must be at most 40 characters"),
])
def test_a_slug_that_would_make_an_odd_link_is_refused(slug, reason):
    assert refused(tenants.signup_shape(), {**GOOD, "slug": slug}) == {"slug": reason}


@pytest.mark.parametrize("slug, kept", [("abc", "abc"), ("a-b-c", "a-b-c"), (" Harmony-9 ", "harmony-9"),
                                        ("a" * 40, "a" * 40)])
def test_an_ordinary_slug_is_kept_in_lower_case(slug, kept):
    assert tenants.signup_shape().parse_body({**GOOD, "slug": slug})["slug"] == kept


def test_the_time_zone_is_kept_by_its_iana_name():
    assert tenants.signup_shape().parse_body({**GOOD, "time_zone": " Europe/London "})["time_zone"] == "Europe/London"


def test_the_firms_name_may_be_120_characters_and_the_admins_name_80():
    assert tenants.signup_shape().parse_body({**GOOD, "name": "n" * 120, "admin_name": "a" * 80})["name"] == "n" * 120
    assert refused(tenants.signup_shape(), {**GOOD, "name": "n" * 121, "admin_name": "a" * 81}) == {
        "name": "must be at most 120 characters", "admin_name": "must be at most 80 characters"}


def test_the_template_defaults_to_prc_residential_and_must_be_one_of_the_firms_templates():
    shape = tenants.signup_shape(["prc-residential", "hk-commercial"])
    assert shape.parse_body(GOOD)["template"] == "prc-residential"
    assert shape.parse_body({**GOOD, "template": "hk-commercial"})["template"] == "hk-commercial"
    assert refused(shape, {**GOOD, "template": "uk"}) == {"template": "must be one of: hk-commercial, prc-residential"}


def test_sign_up_is_documented_field_by_field():
    assert tenants.signup_shape(["b", "a"]).schema() == {
        "type": "object", "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 120,
                     "description": "the firm's name as residents know it"},
            "slug": {"type": "string", "minLength": 3, "maxLength": 40,
                     "pattern": "^[a-z0-9](?:[a-z0-9\\-]{1,38}[a-z0-9])$",
                     "description": "the short name in the residents' link, /r/<slug>"},
            "time_zone": {"type": "string", "minLength": 1, "maxLength": 64,
                          "description": "IANA time zone, e.g. Asia/Shanghai"},
            "locale": {"type": "string", "enum": ["zh-CN", "en"],
                       "description": "default language of pages and messages"},
            "admin_email": {"type": "string", "minLength": 1, "maxLength": 254,
                            "pattern": "^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]{2,}$",
                            "description": "the first admin; Cognito e-mails them a temporary password"},
            "admin_name": {"type": "string", "minLength": 1, "maxLength": 80},
            "template": {"type": "string", "description": "starting service standards from tenants/templates"}},
        "required": ["name", "slug", "time_zone", "locale", "admin_email"]}


def test_a_staff_invite_defaults_to_staff_and_a_change_takes_only_what_is_sent():
    assert tenants.STAFF_INVITE.parse_body({"email": "li@firm.example", "name": "Li"})["role"] == "staff"
    assert refused(tenants.STAFF_INVITE, {"email": "li@firm.example", "name": "Li", "role": "owner"}) == {
        "role": "must be one of: admin, staff"}
    assert tenants.STAFF_CHANGE.parse_body({"active": False}) == {"role": None, "active": False, "name": None}

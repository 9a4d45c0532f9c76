"""PynamoDB models of the one PropDesk table (layout in ``schema.py``).

All models share the table and its keys; a discriminator attribute ``kind`` tells
them apart. Nothing here opens a connection at import: PynamoDB connects on the
first call, after settings (table name, endpoint) are in the environment.
Repositories (``store/*.py``) are the only users of these classes.
"""

from __future__ import annotations

import os

from pynamodb.attributes import (BooleanAttribute, DiscriminatorAttribute, ListAttribute, MapAttribute,
                                 NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from . import schema


def tenant_pk(tenant_id: str) -> str:
    if not tenant_id:
        raise ValueError("tenant_id is required")  # a programming error, never user input
    return f"TENANT#{tenant_id}"


class QueueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.QUEUE_INDEX
        projection = AllProjection()

    queue_pk = UnicodeAttribute(hash_key=True, attr_name=schema.QUEUE_INDEX_HASH_KEY)
    queue_sk = UnicodeAttribute(range_key=True, attr_name=schema.QUEUE_INDEX_RANGE_KEY)


class UnitIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.UNIT_INDEX
        projection = AllProjection()

    unit_pk = UnicodeAttribute(hash_key=True, attr_name=schema.UNIT_INDEX_HASH_KEY)
    unit_sk = UnicodeAttribute(range_key=True, attr_name=schema.UNIT_INDEX_RANGE_KEY)


class PhoneIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.PHONE_INDEX
        projection = AllProjection()

    phone_pk = UnicodeAttribute(hash_key=True, attr_name=schema.PHONE_INDEX_HASH_KEY)
    phone_sk = UnicodeAttribute(range_key=True, attr_name=schema.PHONE_INDEX_RANGE_KEY)


class WorkIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.WORK_INDEX
        projection = AllProjection()

    work_pk = UnicodeAttribute(hash_key=True, attr_name=schema.WORK_INDEX_HASH_KEY)
    work_sk = UnicodeAttribute(range_key=True, attr_name=schema.WORK_INDEX_RANGE_KEY)


class Item(Model):
    class Meta:
        table_name = os.environ.get(schema.TABLE_ENV_VAR, schema.DEFAULT_TABLE_NAME)
        billing_mode = "PAY_PER_REQUEST"
        connect_timeout_seconds = 3
        read_timeout_seconds = 5
        max_retry_attempts = 3

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.HASH_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.RANGE_KEY)
    kind = DiscriminatorAttribute()
    expires_at = NumberAttribute(null=True, attr_name=schema.TTL_ATTRIBUTE)
    queue_pk = UnicodeAttribute(null=True, attr_name=schema.QUEUE_INDEX_HASH_KEY)
    queue_sk = UnicodeAttribute(null=True, attr_name=schema.QUEUE_INDEX_RANGE_KEY)

    work_pk = UnicodeAttribute(null=True, attr_name=schema.WORK_INDEX_HASH_KEY)
    work_sk = UnicodeAttribute(null=True, attr_name=schema.WORK_INDEX_RANGE_KEY)

    unit_pk = UnicodeAttribute(null=True, attr_name=schema.UNIT_INDEX_HASH_KEY)
    unit_sk = UnicodeAttribute(null=True, attr_name=schema.UNIT_INDEX_RANGE_KEY)
    phone_pk = UnicodeAttribute(null=True, attr_name=schema.PHONE_INDEX_HASH_KEY)
    phone_sk = UnicodeAttribute(null=True, attr_name=schema.PHONE_INDEX_RANGE_KEY)

    queue = QueueIndex()
    by_unit = UnitIndex()
    by_phone = PhoneIndex()
    work = WorkIndex()


class SlugItem(Item, discriminator="slug"):
    """Global claim of a slug; also the public intake profile and the ticket counter."""
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    locale = UnicodeAttribute()
    time_zone = UnicodeAttribute()
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    priorities = ListAttribute(of=UnicodeAttribute, default=list)
    emergency_categories = ListAttribute(of=UnicodeAttribute, default=list)
    targets = MapAttribute(default=dict)
    calendar = MapAttribute(default=dict)
    escalation = MapAttribute(default=dict)
    ticket_seq = NumberAttribute(default=0)
    survey = MapAttribute(default=dict)
    scorecard = MapAttribute(null=True)  # the latest finalised month and quarter (services/rollups.py)
    resident_page = MapAttribute(null=True)  # service phone, privacy notice (domain/resident_page.py)
    messages = MapAttribute(default=dict)  # residents' messages: quiet hours, SMS signature
    category_names = MapAttribute(default=dict)  # key → {"zh-CN", "en"}: messages name a category, never key it
    logo = UnicodeAttribute(null=True)  # the logo's version when the firm has one (its item: SLUG#<slug> LOGO)


class LogoItem(Item, discriminator="logo"):
    """The firm's logo for its public scorecard, next to the slug's public profile so the page
    reads both in one BatchGetItem (store/tenants.py): a small image, base64."""
    tenant_id = UnicodeAttribute()
    content_type = UnicodeAttribute()
    image = UnicodeAttribute()


class TenantItem(Item, discriminator="tenant"):
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    locale = UnicodeAttribute()
    time_zone = UnicodeAttribute()
    template = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    resident_page = MapAttribute(null=True)  # the same as the slug's: the tracking page reads it here
    plan = UnicodeAttribute(null=True)  # domain/metering.PLANS; none recorded: the default plan
    poster_printed_at = UTCDateTimeAttribute(null=True)  # first time an admin opened a lobby poster (onboarding)


class StandardsItem(Item, discriminator="standards"):
    document = MapAttribute()
    version = NumberAttribute(default=1)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()
    updated_by_name = UnicodeAttribute(null=True)  # who saved it, as the 409 page names them


class StandardsVersionItem(Item, discriminator="standards_version"):
    version = NumberAttribute()
    document = MapAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()
    updated_by_name = UnicodeAttribute(null=True)
    changes = ListAttribute(of=UnicodeAttribute, default=list)


class UserItem(Item, discriminator="user"):
    sub = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    # epoch seconds: ID tokens issued before it are refused (sign-out, deactivation; services/access.py)
    valid_after = NumberAttribute(null=True)


class PropertyItem(Item, discriminator="property"):
    property_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    service_phone = UnicodeAttribute(null=True)  # the property's own service desk, over the firm's


class BuildingItem(Item, discriminator="building"):
    property_id = UnicodeAttribute()
    building_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    has_units = BooleanAttribute(default=False)


class UnitItem(Item, discriminator="unit"):
    property_id = UnicodeAttribute()
    building_id = UnicodeAttribute()
    code = UnicodeAttribute()
    floor = NumberAttribute(null=True)


class TicketItem(Item, discriminator="ticket"):
    ticket_id = UnicodeAttribute()
    number = NumberAttribute()
    status = UnicodeAttribute()
    category = UnicodeAttribute()
    urgency = UnicodeAttribute()
    property_id = UnicodeAttribute()
    building_id = UnicodeAttribute()
    unit = UnicodeAttribute()
    description = UnicodeAttribute()
    source = UnicodeAttribute()
    contact = MapAttribute(default=dict)
    entry = MapAttribute(default=dict)
    assignee = UnicodeAttribute(null=True)
    assignee_name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    first_response_at = UTCDateTimeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    first_response_due = UTCDateTimeAttribute(null=True)
    resolution_due = UTCDateTimeAttribute(null=True)
    reopen_count = NumberAttribute(default=0)
    tracking_digest = UnicodeAttribute()
    version = NumberAttribute()
    targets = MapAttribute(default=dict)
    calendar = MapAttribute(default=dict)
    stops = ListAttribute(default=list)
    last_public_update_at = UTCDateTimeAttribute(null=True)
    next_update_due = UTCDateTimeAttribute(null=True)
    visit_at = UTCDateTimeAttribute(null=True)
    visits = NumberAttribute(default=0)
    first_resolved_at = UTCDateTimeAttribute(null=True)
    followed_up_at = UTCDateTimeAttribute(null=True)
    repeat = BooleanAttribute(default=False)
    photos = ListAttribute(default=list)
    survey = MapAttribute(null=True)
    notice = MapAttribute(null=True)  # messages to the resident (domain/notices.py): seq, open_until, stopped, link
    incident = MapAttribute(null=True)  # the incident it is merged into (domain/incidents.py): id, title, lead
    milestones = MapAttribute(null=True)  # the milestones done (domain/clock.py): {key: ISO time}


class IncidentItem(Item, discriminator="incident"):
    """Reports of one fault merged into an incident (store/incidents.py, domain/incidents.py)."""
    incident_id = UnicodeAttribute()
    title = UnicodeAttribute()
    lead = UnicodeAttribute()
    members = ListAttribute(default=list)
    status = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class CallItem(Item, discriminator="call"):
    """A ticket's follow-up call owed after a low survey answer (store/follow_ups.py): in the
    ``queue`` index (``…#QUEUE#calls``, by due) while the call is still to be made."""
    ticket_id = UnicodeAttribute()
    number = NumberAttribute()
    unit = UnicodeAttribute()
    rating = NumberAttribute(null=True)
    due = UTCDateTimeAttribute()
    done_at = UTCDateTimeAttribute(null=True)


class NumberItem(Item, discriminator="number"):
    """A ticket number → its ticket (store/search.py); written with the ticket, never changed."""
    ticket_id = UnicodeAttribute()


class StateCountItem(Item, discriminator="state_count"):
    """How many of a firm's tickets are in each state (store/state_counts.py), moved in the
    transaction that moves a ticket."""
    new = NumberAttribute(null=True)
    acknowledged = NumberAttribute(null=True)
    assigned = NumberAttribute(null=True)
    waiting = NumberAttribute(null=True)
    resolved = NumberAttribute(null=True)
    closed = NumberAttribute(null=True)


class RepliesItem(Item, discriminator="replies"):
    """The firm's canned replies (store/replies.py, domain/replies.py)."""
    replies = ListAttribute(default=list)
    version = NumberAttribute(default=0)
    updated_by_name = UnicodeAttribute(null=True)  # who saved last and when, as a 409 page says
    updated_at = UTCDateTimeAttribute(null=True)


class ChecklistItem(Item, discriminator="checklist"):
    """A property's inspection checklist (store/inspections.py, domain/inspections.py)."""
    property_id = UnicodeAttribute()
    areas = ListAttribute(default=list)
    version = NumberAttribute(default=0)


class InspectionItem(Item, discriminator="inspection"):
    """A property's inspection of one month: the checklist as it stood and every item's result."""
    property_id = UnicodeAttribute()
    month = UnicodeAttribute()
    areas = ListAttribute(default=list)
    results = MapAttribute(default=dict)
    inspector = MapAttribute(default=dict)
    at = UTCDateTimeAttribute()
    version = NumberAttribute(default=0)


class EventItem(Item, discriminator="event"):
    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = MapAttribute()
    public = BooleanAttribute()
    data = MapAttribute(default=dict)


class IdempotencyItem(Item, discriminator="idempotency"):
    fingerprint = UnicodeAttribute()
    response = MapAttribute()
    created_at = UTCDateTimeAttribute()


class WatchItem(Item, discriminator="watch"):
    """A ticket's scheduled escalation steps; in the work index while a step is pending."""
    tenant_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    steps = ListAttribute(default=list)
    recipients = MapAttribute(default=dict)
    info = MapAttribute(default=dict)


class MarkItem(Item, discriminator="mark"):
    """An escalation step that happened; its existence is what makes a step fire once."""
    step = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class OutboxItem(Item, discriminator="outbox"):
    outbox_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)
    step = UnicodeAttribute(null=True)
    channel = MapAttribute()
    message_kind = UnicodeAttribute()
    locale = UnicodeAttribute()
    data = MapAttribute(default=dict)
    status = UnicodeAttribute()  # pending | sending | sent | failed
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # A resident's message (store/notices.py): the steps it tells, appended while it is held,
    # and a revision the sweep's claim checks, so a step appended after the read is not lost.
    notice_steps = ListAttribute(null=True)
    rev = NumberAttribute(null=True)


class LinkItem(Item, discriminator="link"):
    """A message's short link (``LINK#<sha256 of it>``): whose ticket it opens."""
    tenant_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()


class CounterItem(Item, discriminator="counter"):
    """A fixed-window counter (rate limits); expires_at lets TTL tidy it away later."""
    count = NumberAttribute(default=0)


class ScoreItem(Item, discriminator="score"):
    """Score counters of one period and slice (store/scores.py). The counters themselves are
    top-level ``c_*`` number attributes that the model does not list: they are only ever
    ADDed to and read raw."""


class UsageItem(Item, discriminator="usage"):
    """A firm's usage counters (store/metering.py): ``USAGE#<month>`` and ``USAGE#TOTAL``.
    The counters are top-level ``u_*`` numbers the model does not list: only ADDed, read raw."""


class UsageAlertItem(Item, discriminator="usage_alert"):
    """The firm's admins were told a plan limit was reached: ``USAGE_ALERT#<month>#<limit>``."""
    at = UTCDateTimeAttribute()


class RecentItem(Item, discriminator="recent"):
    """When a unit last reported a category (repeat complaints, store/tickets.py)."""
    last_at = UTCDateTimeAttribute(null=True)


class SurveyItem(Item, discriminator="survey"):
    """A ticket's survey invitation (store/surveys.py): only the digest of the link's token."""
    ticket_id = UnicodeAttribute()
    digest = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()


class AskedItem(Item, discriminator="asked"):
    """When a resident (by phone or e-mail, hashed) was last sent a survey."""
    last_at = UTCDateTimeAttribute(null=True)


class RollupItem(Item, discriminator="rollup"):
    """A firm's place in the nightly finalisation (store/rollups.py): in the ``work`` index
    at its next run; ``finalised`` holds the last month and quarter frozen."""
    tenant_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    time_zone = UnicodeAttribute()
    finalised = MapAttribute(default=dict)


class ReportItem(Item, discriminator="report"):
    """A finalised period's review (月检查 / 季度评估): the scores as they stood, frozen."""
    period = UnicodeAttribute()
    report = MapAttribute()
    finalised_at = UTCDateTimeAttribute()


class CampaignItem(Item, discriminator="campaign"):
    """A satisfaction campaign (store/campaigns.py)."""
    campaign_id = UnicodeAttribute()
    name = UnicodeAttribute()
    property_ids = ListAttribute(of=UnicodeAttribute, default=list)
    expectations = BooleanAttribute(default=False)
    importance = BooleanAttribute(default=True)
    form = UnicodeAttribute(default="short")  # the SERVQUAL questionnaire: short | full (22 items)
    opens_on = UnicodeAttribute()
    closes_on = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class CampaignAnswerItem(Item, discriminator="campaign_answer"):
    """That a unit answered a campaign (one response per unit); the answer is only counted."""
    at = UTCDateTimeAttribute()


class AccountItem(Item, discriminator="account"):
    """A person's login under the `accounts` identity adapter (cn profile): key
    ``ACCOUNT#<e-mail>`` / ``ACCOUNT``, so sign-in finds it in one GetItem. Secrets are
    stored only as hashes (argon2id for the password, SHA-256 for one-time codes)."""
    tenant_id = UnicodeAttribute()
    sub = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute(null=True)
    must_change = BooleanAttribute(default=False)  # a temporary password: choose a new one first
    failures = NumberAttribute(default=0)  # failed sign-ins since the last success
    locked_until = NumberAttribute(default=0)  # epoch seconds
    challenge_hash = UnicodeAttribute(null=True)  # the new-password step's session, hashed
    challenge_expires = NumberAttribute(default=0)
    code_hash = UnicodeAttribute(null=True)  # a password-reset code, hashed
    code_expires = NumberAttribute(default=0)
    refresh_after = NumberAttribute(default=0)  # refresh families started before are dead (sign-out)
    code_purpose = UnicodeAttribute(null=True)  # what code_hash is for: "invite" | "reset"
    code_failures = NumberAttribute(default=0)  # wrong codes since it was sent (at a limit it is void)
    phone = UnicodeAttribute(null=True)  # E.164: one-time codes go by SMS when set, else by e-mail
    totp_secret = UnicodeAttribute(null=True)  # admins' second factor (base32), never shown again
    totp_pending = UnicodeAttribute(null=True)  # being set up: confirmed by a first code
    totp_last_step = NumberAttribute(default=0)  # the last 30-second step used (no replays)


class RefreshFamilyItem(Item, discriminator="refresh_family"):
    """One sign-in's chain of refresh tokens (``REFRESH#<family>`` / ``REFRESH``): only the
    hash of the current one; presenting an older one revokes the family (reuse detection)."""
    email = UnicodeAttribute()
    current_hash = UnicodeAttribute()
    started = NumberAttribute()  # epoch seconds
    revoked = BooleanAttribute(default=False)


class SignInAddressItem(Item, discriminator="signin_address"):
    """Failed sign-ins from one network address (``SIGNIN#<hash of the address>`` /
    ``ADDRESS``; the address itself is not stored), for the accounts adapter's lock-out."""
    failures = NumberAttribute(default=0)
    window_started = NumberAttribute(default=0)  # epoch seconds
    locked_until = NumberAttribute(default=0)


class ContactRefItem(Item, discriminator="contact_ref"):
    """One of a ticket's contacts, by digest only (store/contacts.py): ``CONTACT#<digest>#<when>#<id>``,
    written with the ticket; the tracking link sealed for that contact."""
    ticket_id = UnicodeAttribute()
    number = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    sealed = UnicodeAttribute()


class ContactCodeItem(Item, discriminator="contact_code"):
    """A one-time code for finding one's reports: its salted HMAC only, tries, expiry."""
    salt = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute()  # checked on every try; expires_at (TTL) only tidies
    tries = NumberAttribute(default=0)
    used = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()


class AuditItem(Item, discriminator="audit"):
    """One admin action (store/audit.py): ``AUDIT#<at ISO UTC>#<id>``, kept 2 years (TTL)."""
    at = UTCDateTimeAttribute()
    actor_sub = UnicodeAttribute()
    actor_name = UnicodeAttribute(null=True)
    action = UnicodeAttribute()  # the route: "PUT /api/standards"
    target = MapAttribute(default=dict)  # the route's path parameters (ids only)
    status = NumberAttribute()
    network = UnicodeAttribute(null=True)  # where from: the address's /24 (IPv4) or /48 (IPv6)
    changes = UnicodeAttribute(null=True)  # a settings change: JSON [{setting, before, after}] (services/audit.py)


class ExportItem(Item, discriminator="firm_export"):
    """A firm export (store/firm_data.py): ``EXPORT#<id>``, in the ``work`` index (``FIRM#<shard>``)
    while its job has work left. Its progress is here; its resumable state is an S3 object."""
    export_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    status = UnicodeAttribute()  # queued | running | done
    phase = UnicodeAttribute(default="items")
    items = NumberAttribute(default=0)
    photos = NumberAttribute(default=0)
    requested_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    key = UnicodeAttribute(null=True)  # the finished ZIP's object key
    size = NumberAttribute(null=True)


class DeletionItem(Item, discriminator="firm_delete"):
    """A firm's request to be deleted (``FIRM_DELETE``): in the ``work`` index at its due time."""
    tenant_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    due_at = UTCDateTimeAttribute()


class QuarantineItem(Item, discriminator="slug_quarantine"):
    """A deleted firm's slug, held (``SLUG#<slug>`` / ``QUARANTINE``) until ``release_at``, when
    the firm-data job removes it (``work`` index). Sign-up refuses a slug while this exists.
    Keeps only what the verifier counted, never the firm's data."""
    deleted_at = UTCDateTimeAttribute()
    release_at = UTCDateTimeAttribute()
    leftover = MapAttribute(default=dict)

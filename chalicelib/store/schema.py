"""The shape of PropDesk's one DynamoDB table, as plain data.

The PynamoDB models (``store/models.py``), the local/test table creation and the
CDK stack in ``infra/`` all read this, and ``tests/infra`` checks the synthesized
template against it, so the deployed table can never drift from the code.

Key layout (every tenant-owned key starts with ``TENANT#<tenant id>``):

    pk                        sk                                  what
    SLUG#<slug>               PUBLIC                              slug claim + public intake profile + ticket counter
    SLUG#<slug>               LOGO                                the firm's logo for its public scorecard (small, base64)
    TENANT#<tid>              META                                the tenant
    TENANT#<tid>              STANDARDS                           current service standards document
    TENANT#<tid>              USER#<sub>                          a staff member or admin
    TENANT#<tid>              PROPERTY#<pid>                      a property
    TENANT#<tid>              BUILDING#<pid>#<bid>                a building of a property
    TENANT#<tid>              UNIT#<pid>#<bid>#<unit code>        a unit of a building
    TENANT#<tid>              TICKET#<ticket id>                  a ticket (its head)
    TENANT#<tid>              TICKET#<ticket id>#EV#<event id>    one timeline event of that ticket
    TENANT#<tid>              TICKET#<ticket id>#CALL             the follow-up call a low survey answer asks for
    TENANT#<tid>              INCIDENT#<incident id>              reports of one fault merged into an incident
    TENANT#<tid>              REPLIES                             the firm's canned replies (标准话术), with a version
    TENANT#<tid>              STATE_COUNTS                        how many tickets are in each state (the queue's counts)
    TENANT#<tid>              NUMBER#<ticket number>              that number's ticket id (staff find a ticket by number)
    TENANT#<tid>              CHECKLIST#<pid>                     a property's inspection checklist, with a version
    TENANT#<tid>              INSPECTION#<pid>#<month>            that property's inspection of a month (M2026-11)
    TENANT#<tid>              IDEM#<sha256 of key>                idempotency record of a resident submission

    TENANT#<tid>              TICKET#<ticket id>#WATCH            the ticket's scheduled escalation steps
    TENANT#<tid>              TICKET#<ticket id>#ESC#<step key>   an escalation step done (written once)
    TENANT#<tid>              OUTBOX#<id>                         a notification to deliver (or delivered/failed)
    TENANT#<tid>              STANDARDS#V#<version>               a past version of the standards
    TENANT#<tid>              REPEAT#<pid>#<bid>#<unit>#<category> when that unit last reported that category
    TENANT#<tid>              SURVEY#<ticket id>                  the ticket's satisfaction survey and its answer
    TENANT#<tid>              ASKED#<sha256 of contact>           when a resident was last sent a survey
    TENANT#<tid>              CAMPAIGN#<id>                       a satisfaction campaign
    TENANT#<tid>              CAMPAIGN_ANSWER#<id>#<unit key>     that unit answered it (once)
    LINK#<sha256 of short>    LINK                                a message's short link → tenant and ticket
    TENANT#<tid>              OUTBOX#R#<ticket id>#<seq>          a message to the resident (steps held together)
    TENANT#<tid>#SCORES       SCORE#<period>#<by>#<value>         score counters of a period (or C<campaign>) and slice
    TENANT#<tid>#SCORES       REPORT#<period>                     a finalised period's review
    TENANT#<tid>              EXPORT#<id>                         a firm export and its progress (store/firm_data.py)
    TENANT#<tid>              FIRM_DELETE                         the firm's request to be deleted, due after the grace period
    SLUG#<slug>               QUARANTINE                          a deleted firm's slug, held until released

A firm's partitions are ``TENANT_PARTITIONS`` (a new partition of a firm must be listed there:
the firm's export and its deletion read exactly these).

GSI ``queue`` (sparse: only ticket heads and follow-up calls still to make carry it):
    queue_pk = TENANT#<tid>#QUEUE#<open|done>   queue_sk = <due at, ISO UTC>#<ticket id>
    queue_pk = TENANT#<tid>#QUEUE#calls         queue_sk = <call due, ISO UTC>#<ticket id>

GSIs ``by_unit`` and ``by_phone`` (sparse: only ticket heads carry them; staff search,
one key Query each, newest first; a ticket without a phone has no ``phone_pk``):
    unit_pk  = TENANT#<tid>#UNIT#<unit code, no spaces, upper case>   unit_sk  = <created at, ISO UTC>#<ticket id>
    phone_pk = TENANT#<tid>#PHONE4#<last 4 digits of the phone>        phone_sk = <created at, ISO UTC>#<ticket id>
(``phone_pk`` derives from the contact: whatever erases the contact rewrites the head
through ``store/items.ticket_item``, which drops it with the phone.)

GSI ``work`` (sparse: only what a scheduled job must look at, across all tenants,
spread over a few shards so no partition is hot; jobs query ``work_sk <= now``):
    work_pk = SLA#<shard>   work_sk = <next step at>#<tid>#<ticket id>     (watch items)
    work_pk = OUT#<shard>   work_sk = <next attempt at>#<tid>#<id>          (outbox items)
    work_pk = FIRM#<shard>  work_sk = <next run at>#<tid>#<job>             (exports, deletions, slug quarantines)
"""

from __future__ import annotations

TABLE_ENV_VAR = "PROPDESK_TABLE"
DEFAULT_TABLE_NAME = "propdesk"

HASH_KEY = "pk"
RANGE_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"

QUEUE_INDEX = "queue"
QUEUE_INDEX_HASH_KEY = "queue_pk"
QUEUE_INDEX_RANGE_KEY = "queue_sk"

UNIT_INDEX = "by_unit"
UNIT_INDEX_HASH_KEY = "unit_pk"
UNIT_INDEX_RANGE_KEY = "unit_sk"

PHONE_INDEX = "by_phone"
PHONE_INDEX_HASH_KEY = "phone_pk"
PHONE_INDEX_RANGE_KEY = "phone_sk"

WORK_INDEX = "work"
WORK_INDEX_HASH_KEY = "work_pk"
WORK_INDEX_RANGE_KEY = "work_sk"
WORK_SHARDS = 8

TENANT_PARTITIONS = ("", "#SCORES")  # suffixes after TENANT#<tid>: every partition a firm owns

TABLE_SPEC: dict = {
    "hash_key": HASH_KEY,
    "range_key": RANGE_KEY,
    "ttl_attribute": TTL_ATTRIBUTE,
    "billing_mode": "PAY_PER_REQUEST",
    "global_secondary_indexes": [
        {
            "name": QUEUE_INDEX,
            "hash_key": QUEUE_INDEX_HASH_KEY,
            "range_key": QUEUE_INDEX_RANGE_KEY,
            "projection": "ALL",
        },
        {
            "name": UNIT_INDEX,
            "hash_key": UNIT_INDEX_HASH_KEY,
            "range_key": UNIT_INDEX_RANGE_KEY,
            "projection": "ALL",
        },
        {
            "name": PHONE_INDEX,
            "hash_key": PHONE_INDEX_HASH_KEY,
            "range_key": PHONE_INDEX_RANGE_KEY,
            "projection": "ALL",
        },
        {
            "name": WORK_INDEX,
            "hash_key": WORK_INDEX_HASH_KEY,
            "range_key": WORK_INDEX_RANGE_KEY,
            "projection": "ALL",
        },
    ],
}

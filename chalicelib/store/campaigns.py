"""Campaign storage.

    TENANT#<tid>  CAMPAIGN#<id>                          the campaign (its form: short or full)
    TENANT#<tid>  CAMPAIGN_ANSWER#<id>#<pid>#<bid>#<unit>  that unit has answered (once)

An answer is one transaction: the unit's mark (only if absent) and the campaign's counters
(``store/scores.py``, key ``C<id>``). A second answer from the same unit writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.campaigns import Campaign
from ..domain.errors import Conflict, NotFound
from . import scores
from .models import CampaignAnswerItem, CampaignItem, tenant_pk
from .items import cancel_reasons, connection


def campaign_sk(campaign_id: str) -> str:
    return f"CAMPAIGN#{campaign_id}"


def _campaign(item: CampaignItem) -> Campaign:
    return Campaign(item.campaign_id, item.name, tuple(item.property_ids or ()), bool(item.expectations),
                    bool(item.importance), date.fromisoformat(item.opens_on), date.fromisoformat(item.closes_on),
                    item.form or "short")  # campaigns started before the full form are short


def create(tenant_id: str, campaign: Campaign, now: datetime) -> None:
    CampaignItem(tenant_pk(tenant_id), campaign_sk(campaign.id), campaign_id=campaign.id, name=campaign.name,
                 property_ids=list(campaign.property_ids), expectations=campaign.expectations,
                 importance=campaign.importance, form=campaign.form, opens_on=campaign.opens_on.isoformat(),
                 closes_on=campaign.closes_on.isoformat(), created_at=now).save(condition=CampaignItem.pk.does_not_exist())


def get(tenant_id: str, campaign_id: str) -> Campaign:
    """The campaign (one GetItem); NotFound if not this firm's."""
    try:
        return _campaign(CampaignItem.get(tenant_pk(tenant_id), campaign_sk(campaign_id)))
    except DoesNotExist:
        raise NotFound("No such campaign.") from None


def list_campaigns(tenant_id: str) -> list[Campaign]:
    items = CampaignItem.query(tenant_pk(tenant_id), CampaignItem.sk.startswith("CAMPAIGN#"))
    return [_campaign(item) for item in items if isinstance(item, CampaignItem)]


def answer(tenant_id: str, campaign: Campaign, unit_key: str, counters: dict, now: datetime) -> None:
    """Count one unit's answer, once. Conflict if that unit already answered."""
    pk = tenant_pk(tenant_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(CampaignAnswerItem(pk, f"CAMPAIGN_ANSWER#{campaign.id}#{unit_key}", at=now),
                    condition=CampaignAnswerItem.pk.does_not_exist())
            scores.add_to(tenant_id, tx, counters)
    except TransactWriteError as error:
        if cancel_reasons(error)[:1] == ["ConditionalCheckFailed"]:
            raise Conflict("Your home has already answered this survey. Thank you!",
                           {"unit": "has already answered this survey"}) from error
        raise

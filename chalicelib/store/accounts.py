"""Logins kept in our own table (the `accounts` identity adapter, for regions without
Cognito): one item per e-mail address, one per sign-in's refresh-token family."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import Conflict
from .models import AccountItem, Item, RefreshFamilyItem, SignInAddressItem
from .items import connection


def account_pk(email: str) -> str:
    return f"ACCOUNT#{email.strip().lower()}"


def family_pk(family_id: str) -> str:
    return f"REFRESH#{family_id}"


def address_pk(address_key: str) -> str:
    return f"SIGNIN#{address_key}"


def get_with_address(email: str, address_key: str) -> tuple[AccountItem | None, SignInAddressItem | None]:
    """The account and its caller's address record in one BatchGetItem."""
    account = address = None
    for item in Item.batch_get([(account_pk(email), "ACCOUNT"), (address_pk(address_key), "ADDRESS")],
                               consistent_read=True):
        if isinstance(item, AccountItem):
            account = item
        elif isinstance(item, SignInAddressItem):
            address = item
    return account, address


def count_address_failure(address_key: str, before: SignInAddressItem | None, now: int, window: int,
                          lock_after: int, lock_seconds: int) -> None:
    """One more failure from the address within ``window`` seconds (a new window if the last
    one is over); at ``lock_after`` the address is locked for ``lock_seconds``."""
    stale = before is None or now - int(before.window_started or 0) >= window
    failures = 1 if stale else int(before.failures or 0) + 1
    item = SignInAddressItem(address_pk(address_key), "ADDRESS")
    # an upsert: it writes the discriminator itself, so a batch read knows the item's kind
    actions = [SignInAddressItem.kind.set(SignInAddressItem), SignInAddressItem.failures.set(failures),
               SignInAddressItem.expires_at.set(now + 86400)]
    if stale:
        actions.append(SignInAddressItem.window_started.set(now))
    if failures >= lock_after:  # locked; counting starts again afterwards
        actions = [SignInAddressItem.kind.set(SignInAddressItem), SignInAddressItem.failures.set(0),
                   SignInAddressItem.window_started.set(now),
                   SignInAddressItem.locked_until.set(now + lock_seconds),
                   SignInAddressItem.expires_at.set(now + 86400)]
    item.update(actions=actions)


def get(email: str) -> AccountItem | None:
    try:
        return AccountItem.get(account_pk(email), "ACCOUNT", consistent_read=True)
    except DoesNotExist:
        return None


def create(email: str, **values: Any) -> None:
    try:
        AccountItem(account_pk(email), "ACCOUNT", email=email.strip().lower(), **values).save(
            condition=AccountItem.pk.does_not_exist())
    except PutError as error:
        raise Conflict("That e-mail address already has a PropDesk account.",
                       {"email": "already has a PropDesk account"}) from error


def _actions(values: dict[str, Any]) -> list:
    return [getattr(AccountItem, k).remove() if v is None else getattr(AccountItem, k).set(v) for k, v in values.items()]


def change(email: str, **values: Any) -> bool:
    """Set (None: remove) attributes of an existing account; False when there is none."""
    item = AccountItem(account_pk(email), "ACCOUNT")
    try:
        item.update(actions=_actions(values), condition=AccountItem.pk.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def count_failure(email: str) -> int:
    """One more failed sign-in; returns the count since the last success."""
    item = AccountItem(account_pk(email), "ACCOUNT")
    try:
        item.update(actions=[AccountItem.failures.add(1)], condition=AccountItem.pk.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return 0
        raise
    return int(item.failures or 0)


def add(email: str, attribute: str, amount: int = 1) -> int:
    """Atomically add to a counter of an existing account; returns the new value (0: no account)."""
    item = AccountItem(account_pk(email), "ACCOUNT")
    try:
        item.update(actions=[getattr(AccountItem, attribute).add(amount)], condition=AccountItem.pk.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return 0
        raise
    return int(getattr(item, attribute) or 0)


def delete(email: str) -> None:
    AccountItem(account_pk(email), "ACCOUNT").delete()


def start_family(email: str, family_id: str, token_hash: str, now: int, *, also: tuple = (),
                 **account_values: Any) -> None:
    """A sign-in: its refresh-token family, and the account's own changes (failures reset,
    a new password...), in one transaction, with ``also`` (the sign-in's audit entry)."""
    with TransactWrite(connection=connection()) as tx:
        for item in also:
            tx.save(item)
        tx.save(RefreshFamilyItem(family_pk(family_id), "REFRESH", email=email.strip().lower(),
                                  current_hash=token_hash, started=now, expires_at=now + 31 * 86400),
                condition=RefreshFamilyItem.pk.does_not_exist())
        tx.update(AccountItem(account_pk(email), "ACCOUNT"),
                  actions=_actions(account_values),
                  condition=AccountItem.pk.exists())


def family_and_account(family_id: str) -> tuple[RefreshFamilyItem | None, AccountItem | None]:
    try:
        family = RefreshFamilyItem.get(family_pk(family_id), "REFRESH", consistent_read=True)
    except DoesNotExist:
        return None, None
    return family, get(family.email)


def rotate(family_id: str, old_hash: str, new_hash: str) -> bool:
    """Replace the family's current token, only if it is still ``old_hash`` and not revoked."""
    item = RefreshFamilyItem(family_pk(family_id), "REFRESH")
    try:
        item.update(actions=[RefreshFamilyItem.current_hash.set(new_hash)],
                    condition=(RefreshFamilyItem.current_hash == old_hash) & (RefreshFamilyItem.revoked == False))  # noqa: E712
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def revoke_family(family_id: str) -> None:
    item = RefreshFamilyItem(family_pk(family_id), "REFRESH")
    try:
        item.update(actions=[RefreshFamilyItem.revoked.set(True)], condition=RefreshFamilyItem.pk.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise

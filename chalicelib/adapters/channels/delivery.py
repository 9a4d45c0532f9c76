"""What every channel family shares: the answer of one try (:class:`Delivery`), the
shapes of an e-mail address and a mobile number, and how a detail is worded.

No I/O here; each family (``aws``, ``bots``, ``smtp``, ``sms_cn``) imports it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
                      r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str
    retryable: bool = False
    retry_after_s: float | None = None  # from a 429's Retry-After, when the provider gave one
    reference: str | None = None  # the provider's id for what it accepted (SES / SNS MessageId, SMS BizId ...)


class ConfigurationError(ValueError):
    """The deployment's messaging settings cannot work (a missing SMS template mapping, an
    unknown provider): found at start, named in full, never discovered by a failed send."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("messaging configuration: " + "; ".join(self.problems))


def timeout_s() -> float:
    """The per-try network timeout, read from the package at call time (tests shorten it)."""
    from . import TIMEOUT_S

    return float(TIMEOUT_S)


def phone(value: str) -> str:
    return re.sub(r"[\s\-().]", "", value)


def prefixed(kind: str, delivery: Delivery) -> Delivery:
    return dataclasses.replace(delivery, detail=f"{kind}: {delivery.detail}")


def snippet(body: bytes, limit: int = 200) -> str:
    return " ".join(body[:limit].decode("utf-8", "replace").split())

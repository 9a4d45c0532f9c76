"""The ``global`` profile's e-mail and SMS (SES ``SendEmail``, SNS ``Publish``), and the
Secrets Manager reads every profile's providers take their credentials from.

boto3 clients are built on first use and cached per process; so are secrets (one
``GetSecretValue`` per secret per warm Lambda, forgotten when a provider refuses them)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ...domain.messages import Message
from ...settings import settings
from .delivery import Delivery, phone, timeout_s

SMS_MAX_CHARS = 1600
RETRYABLE_AWS_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable",
                       "ServiceUnavailableException", "InternalFailure", "InternalError", "InternalErrorException",
                       "RequestTimeout", "RequestTimeoutException", "KMSThrottlingException"}


def send_email(channel: dict, message: Message, key: str, mail_from: str) -> Delivery:
    client = client_for("ses")
    try:
        answer = client.send_email(
            Source=mail_from,
            Destination={"ToAddresses": [channel["to"].strip()]},
            Message={"Subject": {"Data": " ".join(message.subject.split()), "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}},
        )
    except Exception as exc:  # noqa: BLE001 - classified below
        return aws_failure("email (SES)", exc)
    reference = answer.get("MessageId")
    return Delivery(True, f"email: SES accepted, MessageId {reference}", reference=reference)


def send_sms(channel: dict, message: Message, key: str) -> Delivery:
    from ...domain.sms import sms_segments

    client = client_for("sns")
    text = message.text[:SMS_MAX_CHARS]
    try:
        answer = client.publish(
            PhoneNumber=phone(channel["to"]),
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
    except Exception as exc:  # noqa: BLE001 - classified below
        return aws_failure("sms (SNS)", exc)
    reference = answer.get("MessageId")
    segments = sms_segments(text)
    return Delivery(True, f"sms: SNS accepted, MessageId {reference} ({segments} segment{'' if segments == 1 else 's'})",
                    reference=reference)


@lru_cache(maxsize=None)
def client_for(service: str) -> Any:
    import boto3  # lazily: importing the app must not build clients
    from botocore.config import Config

    wait = timeout_s()
    config = Config(connect_timeout=wait, read_timeout=wait, retries={"total_max_attempts": 2, "mode": "standard"})
    return boto3.client(service, region_name=settings().region, config=config)


@lru_cache(maxsize=None)
def secret(secret_id: str) -> dict[str, str]:
    """A provider's credentials: the JSON object stored as ``SecretString`` under ``secret_id``.
    Read on first use and kept for the life of the process (a warm Lambda reads it once).
    Raises :class:`SecretUnavailable` with a reason that names the secret, never its value."""
    try:
        answer = client_for("secretsmanager").get_secret_value(SecretId=secret_id)
    except Exception as exc:  # noqa: BLE001 - reworded below
        failure = aws_failure(f"secret {secret_id}", exc)
        raise SecretUnavailable(failure.detail, retryable=failure.retryable) from None
    try:
        value = json.loads(answer.get("SecretString") or "")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise SecretUnavailable(f"secret {secret_id}: SecretString is not a JSON object", retryable=False)
    return {str(k): str(v) for k, v in value.items()}


def forget_secret(secret_id: str) -> None:
    """After a provider refused the credentials: read them again next time (rotation)."""
    secret.cache_clear()


class SecretUnavailable(Exception):
    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


def reset() -> None:
    client_for.cache_clear()
    secret.cache_clear()


def aws_failure(what: str, exc: Exception) -> Delivery:
    from botocore import exceptions as bce

    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        retryable = code in RETRYABLE_AWS_CODES or status >= 500 or status == 429
        text = str(error.get("Message", ""))[:200]
        return Delivery(False, f"{what}: {code}: {text}".rstrip(": "), retryable=retryable)
    if isinstance(exc, (bce.NoCredentialsError, bce.NoRegionError, bce.ParamValidationError,
                        bce.PartialCredentialsError)):
        return Delivery(False, f"{what}: not configured: {type(exc).__name__}", retryable=False)
    if isinstance(exc, (bce.BotoCoreError, OSError)):  # endpoint unreachable, timeouts, closed connections
        return Delivery(False, f"{what}: could not reach AWS: {type(exc).__name__}", retryable=True)
    raise exc

"""The ``cn`` profile's SMS: Alibaba Cloud SMS (``SendSms``, 2017-05-25) or Tencent Cloud SMS
(``SendSms``, 2021-01-11), through each provider's official SDK, imported on first send.

Chinese providers send only templates they approved beforehand, under a signature they
approved (shown as 【签名】). So a message is not sent as its text: its kind and locale pick a
template code, and the message's facts fill the template's variables. The mapping is data
(``sms_templates.json`` beside this file, or the file ``PROPDESK_SMS_TEMPLATES`` names)::

    {"aliyun": {"sla_warning": {"zh-CN": {"code": "SMS_...", "params": ["ticket", "promise", "due"],
                                          "text": "工单${ticket}的${promise}须在${due}前完成..."}}}}

and :func:`check_templates` holds it against ``messages.KINDS`` × ``messages.LOCALES`` at start:
a kind without a template is a configuration error that names every missing pair.

==========  =================================================================================
variable    value (never a resident's personal data: only these facts are read)
==========  =================================================================================
ticket      the ticket's number · category · unit · link (tracking / survey / console link)
promise     the promise's name in the message's language (首次响应 / first response ...)
due         when it falls due, in the firm's time zone (``11月24日 14:30`` / ``24 Nov 14:30``)
visit_at    the visit's time, written the same way
==========  =================================================================================

Alibaba gets the variables as a JSON object (``TemplateParam``), Tencent as a list in the
template's order (``TemplateParamSet``). Credentials come from the Secrets Manager secret
``PROPDESK_SMS_SECRET``. ``PROPDESK_SMS_ENDPOINT`` (e.g. ``http://127.0.0.1:8026``) points the
SDK at a local stand-in through the SDK's own endpoint setting. Delivered = the provider
accepted the message (Alibaba ``Code == "OK"``, Tencent ``SendStatus.Code == "Ok"``); the
detail says how many segments the rendered text (signature included) costs.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...domain import messages
from ...domain.messages import Message
from ...domain.sms import sms_segments
from ...settings import Messaging, settings
from . import aws
from .delivery import ConfigurationError, Delivery, phone, timeout_s

PROVIDERS = ("aliyun", "tencent")
DEFAULT_TEMPLATES = Path(__file__).with_name("sms_templates.json")
VARIABLES = ("ticket", "category", "unit", "link", "promise", "due", "visit_at", "code",  # code: sign-in codes
             "update")  # a resident's message: its steps in words (domain/messages.py, RESIDENT_KIND)
SMS_KINDS = messages.KINDS + (messages.RESIDENT_KIND,)  # every kind that can go by SMS
CODE_SHAPES = {"aliyun": re.compile(r"SMS_\d+"), "tencent": re.compile(r"\d+")}
DEFAULT_ENDPOINTS = {"aliyun": "dysmsapi.aliyuncs.com", "tencent": "sms.tencentcloudapi.com"}
DEFAULT_REGIONS = {"aliyun": "cn-hangzhou", "tencent": "ap-guangzhou"}

# Provider answers that mean "busy / too fast for this number, try later".
RETRYABLE_ALIYUN = {"isp.SYSTEM_ERROR", "isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User",
                    "Throttling.Api", "ServiceUnavailable", "InternalError"}
RETRYABLE_TENCENT = {"ClientNetworkError", "ServerNetworkError", "RequestLimitExceeded", "InternalError",
                     "LimitExceeded.DeliveryFrequencyLimit", "LimitExceeded.PhoneNumberThirtySecondLimit",
                     "LimitExceeded.PhoneNumberOneHourLimit", "FailedOperation.RequestTimeout"}
CREDENTIAL_CODES = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthFailure", "IncompleteSignature")
SECRET_KEYS = {"aliyun": ("access_key_id", "access_key_secret"), "tencent": ("secret_id", "secret_key")}


# --- the template mapping -----------------------------------------------------------------------


def load_templates(path: str | Path | None = None) -> dict[str, Any]:
    source = Path(path) if path else DEFAULT_TEMPLATES
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError([f"SMS template mapping {source} does not exist"]) from None
    except ValueError as exc:
        raise ConfigurationError([f"SMS template mapping {source} is not JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigurationError([f"SMS template mapping {source} must be a JSON object"])
    return data


def check_templates(mapping: dict[str, Any], provider: str, kinds: tuple[str, ...] = SMS_KINDS,
                    locales: tuple[str, ...] = messages.LOCALES) -> list[str]:
    """Every problem with ``mapping`` for ``provider`` (``[]`` when it can send every kind in
    every locale): missing (kind, locale) pairs first, listed together, then malformed entries."""
    if provider not in PROVIDERS:
        return [f"PROPDESK_SMS_PROVIDER must be one of {', '.join(PROVIDERS)}, not {provider!r}"]
    table = mapping.get(provider)
    if not isinstance(table, dict):
        return [f"no SMS template mapping for provider {provider}"]
    problems: list[str] = []
    missing = [f"{kind} ({locale})" for kind in kinds for locale in locales
               if not isinstance(table.get(kind), dict) or locale not in table[kind]]
    if missing:
        problems.append(f"missing {provider} SMS template mapping for: {', '.join(missing)}")
    unknown = sorted(set(table) - set(kinds))
    if unknown:
        problems.append(f"{provider} SMS template mapping names unknown message kinds: {', '.join(unknown)}")
    for kind in kinds:
        for locale, entry in sorted((table.get(kind) or {}).items()):
            where = f"{provider} template {kind} ({locale})"
            if locale not in locales:
                problems.append(f"{where}: unknown locale")
                continue
            problems.extend(f"{where}: {p}" for p in _entry_problems(provider, entry))
    return problems


def _entry_problems(provider: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return ["must be {code, params, text}"]
    problems = []
    code, params, text = entry.get("code"), entry.get("params"), entry.get("text")
    if not isinstance(code, str) or not CODE_SHAPES[provider].fullmatch(code):
        problems.append(f"code {code!r} is not a {provider} template code "
                        f"({'SMS_ and digits' if provider == 'aliyun' else 'digits'})")
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return problems + ["params must be a list of variable names"]
    unknown = [p for p in params if p not in VARIABLES]
    if unknown:
        problems.append(f"unknown variables {', '.join(unknown)} (known: {', '.join(VARIABLES)})")
    if not isinstance(text, str) or not text.strip():
        return problems + ["text (the approved template's wording) is required"]
    if provider == "aliyun":
        found = set(re.findall(r"\$\{(\w+)\}", text))
        if found != set(params):
            problems.append(f"text has variables {sorted(found)} but params are {sorted(set(params))}")
    else:
        found_numbers = sorted({int(n) for n in re.findall(r"\{(\d+)\}", text)})
        if found_numbers != list(range(1, len(params) + 1)):
            problems.append(f"text has placeholders {found_numbers} but params name {len(params)} variables")
    return problems


@lru_cache(maxsize=4)
def _checked(path: str, provider: str) -> dict[str, Any]:
    mapping = load_templates(path or None)
    problems = check_templates(mapping, provider)
    if problems:
        raise ConfigurationError(problems)
    return mapping[provider]


def templates(config: Messaging | None = None) -> dict[str, Any]:
    """The configured provider's checked mapping (read once per process); raises
    :class:`ConfigurationError` listing every problem."""
    config = config or settings().messaging
    return _checked(config.sms_templates, config.sms_provider)


# --- rendering ----------------------------------------------------------------------------------


def variables(message: Message, params: list[str]) -> dict[str, str]:
    """The template variables from the message's non-personal facts; ``ValueError`` names any
    the message does not have."""
    facts = message.facts or {}
    locale = messages.normalise_locale(message.locale)
    zone = str(facts.get("time_zone") or "UTC")
    values: dict[str, str] = {}
    missing = []
    for name in params:
        value = facts.get(name)
        if value in (None, ""):
            missing.append(name)
        elif name in ("due", "visit_at"):
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            values[name] = messages.format_time(moment, zone, locale)
        elif name == "promise":
            values[name] = messages.promise_name(str(value), locale)  # the names live in messages.py
            if not values[name]:
                missing.append(name)
        else:
            values[name] = " ".join(str(value).split())
    if missing:
        raise ValueError(f"message {message.kind} has no {', '.join(missing)} for its SMS template")
    return values


def render(provider: str, entry: dict[str, Any], values: dict[str, str], sign_name: str) -> str:
    """The text as the handset shows it: 【signature】 + the template with its variables filled."""
    text = entry["text"]
    for number, name in enumerate(entry["params"], start=1):
        text = text.replace("${%s}" % name if provider == "aliyun" else "{%d}" % number, values[name])
    return f"【{sign_name}】{text}"


# --- sending ------------------------------------------------------------------------------------


def send_sms(channel: dict, message: Message, key: str) -> Delivery:
    config = settings().messaging
    what = f"sms ({config.sms_provider})"
    try:
        table = templates(config)
    except ConfigurationError as exc:
        return Delivery(False, f"{what}: not configured: {exc}")
    entry = (table.get(message.kind) or {}).get(messages.normalise_locale(message.locale))
    if entry is None:
        return Delivery(False, f"{what}: no template for {message.kind or 'a message without a kind'} "
                               f"({message.locale})")
    try:
        values = variables(message, entry["params"])
    except ValueError as exc:
        return Delivery(False, f"{what}: {exc}")
    try:
        endpoint = _endpoint(config)
    except ValueError as exc:
        return Delivery(False, f"{what}: not configured: {exc}")
    try:
        secret = aws.secret(config.sms_secret)
    except aws.SecretUnavailable as exc:
        return Delivery(False, f"{what}: {exc.detail}", retryable=exc.retryable)
    lacking = [name for name in SECRET_KEYS[config.sms_provider] if not secret.get(name)]
    if lacking:
        return Delivery(False, f"{what}: not configured: secret {config.sms_secret} lacks {', '.join(lacking)}")
    segments = sms_segments(render(config.sms_provider, entry, values, config.sms_sign_name))
    sender = _send_aliyun if config.sms_provider == "aliyun" else _send_tencent
    delivery = sender(config, endpoint, secret, phone(channel["to"]), entry, values, key)
    if not delivery.ok and any(code in delivery.detail for code in CREDENTIAL_CODES):
        aws.forget_secret(config.sms_secret)  # rotated? read it again next time
    plural = "" if segments == 1 else "s"
    return Delivery(delivery.ok, f"{what}: {delivery.detail} (template {entry['code']}, {segments} segment{plural})",
                    retryable=delivery.retryable, reference=delivery.reference)


def _endpoint(config: Messaging) -> tuple[str, str]:
    """(scheme, host[:port]) of the provider's API: its default, or ``PROPDESK_SMS_ENDPOINT``;
    plain http only to a loopback stand-in on a local stage."""
    if not config.sms_endpoint:
        return "https", DEFAULT_ENDPOINTS[config.sms_provider]
    parts = urllib.parse.urlsplit(config.sms_endpoint if "//" in config.sms_endpoint
                                  else f"https://{config.sms_endpoint}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"PROPDESK_SMS_ENDPOINT {config.sms_endpoint!r} is not an http(s) URL")
    if parts.scheme == "http":
        from .bots import is_loopback

        if not (settings().is_local and is_loopback(parts.hostname)):
            raise ValueError("PROPDESK_SMS_ENDPOINT may be plain http only for a loopback address on a local stage")
    return parts.scheme, parts.netloc


def _aliyun_phone(number: str) -> str:
    """Alibaba wants mainland numbers as 11 digits, others as country code + number, no ``+``."""
    digits = number.lstrip("+")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _send_aliyun(config: Messaging, endpoint: tuple[str, str], secret: dict, number: str, entry: dict,
                 values: dict[str, str], key: str) -> Delivery:
    from alibabacloud_dysmsapi20170525 import models as sms_models  # lazily: the SDK is heavy

    client = _aliyun_client(endpoint, config.sms_region or DEFAULT_REGIONS["aliyun"],
                            secret.get("access_key_id", ""), secret.get("access_key_secret", ""))
    request = sms_models.SendSmsRequest(
        phone_numbers=_aliyun_phone(number), sign_name=config.sms_sign_name, template_code=entry["code"],
        template_param=json.dumps(values, ensure_ascii=False, separators=(",", ":")), out_id=key[:256])
    try:
        body = client.send_sms(request).body
    except Exception as exc:  # noqa: BLE001 - classified below
        return _aliyun_failure(exc)
    if body.code == "OK":
        return Delivery(True, f"accepted, BizId {body.biz_id}", reference=body.biz_id)
    retryable = body.code in RETRYABLE_ALIYUN
    why = "busy or rate-limited, try later" if retryable else "refused"
    return Delivery(False, f"{why}: {body.code} {str(body.message or '')[:200]}".rstrip(), retryable=retryable)


@lru_cache(maxsize=4)
def _aliyun_client(endpoint: tuple[str, str], region: str, key_id: str, key_secret: str) -> Any:
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    wait_ms = int(timeout_s() * 1000)
    scheme, host = endpoint
    return Client(Config(access_key_id=key_id, access_key_secret=key_secret, endpoint=host, protocol=scheme,
                         region_id=region, connect_timeout=wait_ms, read_timeout=wait_ms))


def _aliyun_failure(exc: Exception) -> Delivery:
    from darabonba.exceptions import ResponseException, UnretryableException

    if isinstance(exc, ResponseException):
        status = int(exc.status_code or 0)
        retryable = status >= 500 or status == 429 or str(exc.code) in RETRYABLE_ALIYUN
        return Delivery(False, f"answered {status}: {exc.code}", retryable=retryable)
    if isinstance(exc, UnretryableException):  # the SDK's wrapper of network errors
        inner = getattr(exc, "inner_exception", None)
        return Delivery(False, f"could not reach the provider: {type(inner).__name__}", retryable=True)
    if isinstance(exc, OSError):
        return Delivery(False, f"could not reach the provider: {type(exc).__name__}", retryable=True)
    raise exc


def _send_tencent(config: Messaging, endpoint: tuple[str, str], secret: dict, number: str, entry: dict,
                  values: dict[str, str], key: str) -> Delivery:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.sms.v20210111 import models as sms_models  # lazily: the SDK is not free to import

    if not config.sms_app_id:
        return Delivery(False, "not configured: PROPDESK_SMS_APP_ID (Tencent's SmsSdkAppId) is empty")
    client = _tencent_client(endpoint, config.sms_region or DEFAULT_REGIONS["tencent"],
                             secret.get("secret_id", ""), secret.get("secret_key", ""))
    request = sms_models.SendSmsRequest()
    request.PhoneNumberSet = [number]
    request.SmsSdkAppId = config.sms_app_id
    request.SignName = config.sms_sign_name
    request.TemplateId = entry["code"]
    request.TemplateParamSet = [values[name] for name in entry["params"]]
    request.SessionContext = key[:512]
    try:
        answer = client.SendSms(request)
    except TencentCloudSDKException as exc:
        code = str(exc.get_code() or "")
        retryable = code in RETRYABLE_TENCENT or code.startswith("InternalError")
        why = "could not reach the provider" if code.endswith("NetworkError") else "refused"
        return Delivery(False, f"{why}: {code} {str(exc.get_message() or '')[:200]}".rstrip(), retryable=retryable)
    status = (answer.SendStatusSet or [None])[0]
    if status is None:
        return Delivery(False, "answered without a send status", retryable=True)
    if status.Code == "Ok":
        return Delivery(True, f"accepted, SerialNo {status.SerialNo}", reference=status.SerialNo)
    code = str(status.Code)
    retryable = code in RETRYABLE_TENCENT
    why = "busy or rate-limited, try later" if retryable else "refused"
    return Delivery(False, f"{why}: {code} {str(status.Message or '')[:200]}".rstrip(), retryable=retryable)


@lru_cache(maxsize=4)
def _tencent_client(endpoint: tuple[str, str], region: str, secret_id: str, secret_key: str) -> Any:
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111.sms_client import SmsClient

    scheme, host = endpoint
    http = HttpProfile(protocol=scheme, endpoint=host, reqTimeout=timeout_s())
    # No region breaker: it would switch to another (real) endpoint after failures.
    profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
    return SmsClient(Credential(secret_id, secret_key), region, profile)


def reset() -> None:
    _checked.cache_clear()
    _aliyun_client.cache_clear()
    _tencent_client.cache_clear()

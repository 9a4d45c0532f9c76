"""The ``cn`` profile's SMS: Alibaba Cloud SMS (``SendSms``, 2017-05-25) or Tencent Cloud SMS
(``SendSms``, 2021-01-11): one signed HTTPS POST each, signed here with the provider's documented
algorithm (ACS3-HMAC-SHA256, TC3-HMAC-SHA256). The official SDKs did the same but brought 17 MB
(aiohttp and its kin, a scheduler) into every Lambda package for one request.

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
sender at a local stand-in. Delivered = the provider
accepted the message (Alibaba ``Code == "OK"``, Tencent ``SendStatus.Code == "Ok"``); the
detail says how many segments the rendered text (signature included) costs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import urllib.parse
from datetime import datetime, timezone
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


def _rfc3986(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def acs3_request(host: str, query: dict[str, str], *, action: str, version: str, key_id: str, key_secret: str,
                 now: datetime, nonce: str) -> tuple[str, dict[str, str]]:
    """Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256) of a POST with its parameters in the query
    and an empty body: (path with query, headers). CanonicalRequest = method, path, the query
    sorted and RFC 3986-encoded, each signed header as ``name:value``, their names, the body's
    SHA-256; the signature is HMAC-SHA256 over ``ACS3-HMAC-SHA256\n`` + SHA-256 of it."""
    query_text = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(query.items(), key=lambda kv: _rfc3986(kv[0])))
    headers = {"host": host, "x-acs-action": action, "x-acs-version": version,
               "x-acs-date": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "x-acs-signature-nonce": nonce,
               "x-acs-content-sha256": _sha256(b"")}
    signed = sorted(headers)
    canonical = "\n".join(["POST", "/", query_text, "".join(f"{name}:{headers[name]}\n" for name in signed),
                           ";".join(signed), headers["x-acs-content-sha256"]])
    signature = hmac.new(key_secret.encode(), f"ACS3-HMAC-SHA256\n{_sha256(canonical.encode())}".encode(),
                         hashlib.sha256).hexdigest()
    headers["authorization"] = (f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(signed)},"
                                f"Signature={signature}")
    return f"/?{query_text}", headers


def tc3_request(host: str, payload: bytes, *, action: str, version: str, region: str, secret_id: str,
                secret_key: str, now: datetime, service: str = "sms") -> dict[str, str]:
    """Tencent Cloud's signature v3 (TC3-HMAC-SHA256) of a JSON POST to ``/``: the headers.
    The key is the HMAC chain "TC3"+secret → UTC date → service → "tc3_request"."""
    timestamp = int(now.timestamp())
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    content_type = "application/json; charset=utf-8"
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host.lower()}\n",
                           "content-type;host", _sha256(payload)])
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256(canonical.encode())}"

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"content-type": content_type, "host": host, "x-tc-action": action, "x-tc-version": version,
            "x-tc-timestamp": str(timestamp), "x-tc-region": region,
            "authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
                             f"Signature={signature}"}


class Unreachable(Exception):
    """The provider could not be reached, or did not answer in HTTP."""


def _post(endpoint: tuple[str, str], path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
    """One POST to the provider: (HTTP status, its JSON answer or {}). Unreachable otherwise."""
    import http.client
    import ssl

    scheme, host = endpoint
    try:
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, timeout=timeout_s(), context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(host, timeout=timeout_s())
        try:
            connection.request("POST", path, body=body, headers=headers)
            answer = connection.getresponse()
            status, raw = answer.status, answer.read()
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(type(exc).__name__) from None
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        payload = {}
    return status, payload if isinstance(payload, dict) else {}


def _send_aliyun(config: Messaging, endpoint: tuple[str, str], secret: dict, number: str, entry: dict,
                 values: dict[str, str], key: str) -> Delivery:
    query = {"PhoneNumbers": _aliyun_phone(number), "SignName": config.sms_sign_name, "TemplateCode": entry["code"],
             "TemplateParam": json.dumps(values, ensure_ascii=False, separators=(",", ":")), "OutId": key[:256]}
    path, headers = acs3_request(endpoint[1], query, action="SendSms", version="2017-05-25",
                                 key_id=secret.get("access_key_id", ""), key_secret=secret.get("access_key_secret", ""),
                                 now=datetime.now(timezone.utc), nonce=secrets.token_hex(16))
    try:
        status, body = _post(endpoint, path, headers, b"")
    except Unreachable as exc:
        return Delivery(False, f"could not reach the provider: {exc}", retryable=True)
    code = str(body.get("Code") or "")
    if status == 200 and code == "OK":
        return Delivery(True, f"accepted, BizId {body.get('BizId')}", reference=body.get("BizId"))
    if status != 200:
        retryable = status >= 500 or status == 429 or code in RETRYABLE_ALIYUN
        return Delivery(False, f"answered {status}: {code}", retryable=retryable)
    retryable = code in RETRYABLE_ALIYUN
    why = "busy or rate-limited, try later" if retryable else "refused"
    return Delivery(False, f"{why}: {code} {str(body.get('Message') or '')[:200]}".rstrip(), retryable=retryable)


def _send_tencent(config: Messaging, endpoint: tuple[str, str], secret: dict, number: str, entry: dict,
                  values: dict[str, str], key: str) -> Delivery:
    if not config.sms_app_id:
        return Delivery(False, "not configured: PROPDESK_SMS_APP_ID (Tencent's SmsSdkAppId) is empty")
    payload = json.dumps({"PhoneNumberSet": [number], "SmsSdkAppId": config.sms_app_id,
                          "SignName": config.sms_sign_name, "TemplateId": entry["code"],
                          "TemplateParamSet": [values[name] for name in entry["params"]],
                          "SessionContext": key[:512]}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = tc3_request(endpoint[1], payload, action="SendSms", version="2021-01-11",
                          region=config.sms_region or DEFAULT_REGIONS["tencent"], secret_id=secret.get("secret_id", ""),
                          secret_key=secret.get("secret_key", ""), now=datetime.now(timezone.utc))
    try:
        status, body = _post(endpoint, "/", headers, payload)
    except Unreachable as exc:
        return Delivery(False, f"could not reach the provider: {exc}", retryable=True)
    answer = body.get("Response") if isinstance(body.get("Response"), dict) else {}
    error = answer.get("Error") if isinstance(answer.get("Error"), dict) else None
    if status != 200 and not error:
        return Delivery(False, f"answered {status}", retryable=status >= 500 or status == 429)
    if error:
        code = str(error.get("Code") or "")
        retryable = code in RETRYABLE_TENCENT or code.startswith("InternalError")
        return Delivery(False, f"refused: {code} {str(error.get('Message') or '')[:200]}".rstrip(), retryable=retryable)
    sent = answer.get("SendStatusSet") or [None]
    status_entry = sent[0] if isinstance(sent[0], dict) else None
    if status_entry is None:
        return Delivery(False, "answered without a send status", retryable=True)
    code = str(status_entry.get("Code") or "")
    if code == "Ok":
        return Delivery(True, f"accepted, SerialNo {status_entry.get('SerialNo')}", reference=status_entry.get("SerialNo"))
    retryable = code in RETRYABLE_TENCENT
    why = "busy or rate-limited, try later" if retryable else "refused"
    return Delivery(False, f"{why}: {code} {str(status_entry.get('Message') or '')[:200]}".rstrip(), retryable=retryable)


def reset() -> None:
    _checked.cache_clear()

"""One typed settings object, read from the environment once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Mapping

from .store import schema

#: Deployment profiles (``PROPDESK_PROFILE``; infra's ``-c profile=``): ``global`` signs staff in
#: with Cognito and sends through SES and SNS; ``cn`` (AWS China, where none of the three
#: exists) uses PropDesk's own accounts (a KMS ES256 key), SMTP, and Alibaba or Tencent Cloud SMS.
PROFILES = ("global", "cn")
SMS_PROVIDERS = ("aliyun", "tencent")


@dataclass(frozen=True)
class Settings:
    table: str
    region: str
    user_pool_id: str
    client_id: str
    jwks_url: str
    issuer: str
    stage: str
    public_base_url: str
    max_body_bytes: int
    idempotency_hours: int
    reports_per_ip: int  # per 10 minutes, per firm
    reports_per_firm: int  # per hour
    photo_bucket: str
    # -- the deployment profile and what only the ``cn`` profile reads (empty under ``global``)
    profile: str = "global"
    sms_provider: str = ""  # aliyun | tencent
    sms_secret_arn: str = ""  # Secrets Manager: the SMS provider's credentials (JSON)
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_secret_arn: str = ""  # Secrets Manager: the SMTP user name and password (JSON)
    identity: str = "cognito"  # the identity adapter (chalicelib/adapters/identity/): "cognito" | "accounts"
    token_key: str = ""  # accounts adapter: the asymmetric KMS key (ECC_NIST_P256) that signs ID tokens
    contact_pepper: str = ""  # keys residents' contact digests and one-time codes (domain/contacts.py)

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")

    @cached_property
    def messaging(self) -> "Messaging":
        """The cn profile's e-mail (SMTP) and SMS provider settings, read on first use."""
        return Messaging.from_env(os.environ)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool = env.get("COGNITO_USER_POOL_ID", "")
    issuer = env.get("COGNITO_ISSUER") or f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    return Settings(
        table=env.get(schema.TABLE_ENV_VAR, schema.DEFAULT_TABLE_NAME),
        region=region,
        user_pool_id=pool,
        client_id=env.get("COGNITO_CLIENT_ID", ""),
        # The issuer is the real AWS URL even under moto; the keys may live elsewhere.
        jwks_url=env.get("COGNITO_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        issuer=issuer,
        stage=env.get("PROPDESK_STAGE", "dev"),
        public_base_url=env.get("PROPDESK_PUBLIC_BASE_URL", "").rstrip("/"),
        max_body_bytes=int(env.get("PROPDESK_MAX_BODY_BYTES", str(64 * 1024))),
        idempotency_hours=int(env.get("PROPDESK_IDEMPOTENCY_HOURS", "24")),
        reports_per_ip=int(env.get("PROPDESK_REPORTS_PER_IP", "10")),
        reports_per_firm=int(env.get("PROPDESK_REPORTS_PER_FIRM", "600")),
        photo_bucket=env.get("PROPDESK_PHOTO_BUCKET", "propdesk-photos"),
        profile=_one_of("PROPDESK_PROFILE", env.get("PROPDESK_PROFILE") or "global", PROFILES),
        sms_provider=_one_of("PROPDESK_SMS_PROVIDER", env.get("PROPDESK_SMS_PROVIDER", ""), ("", *SMS_PROVIDERS)),
        sms_secret_arn=env.get("PROPDESK_SMS_SECRET_ARN", ""),
        smtp_host=env.get("PROPDESK_SMTP_HOST", ""),
        smtp_port=int(env.get("PROPDESK_SMTP_PORT") or "465"),
        smtp_secret_arn=env.get("PROPDESK_SMTP_SECRET_ARN", ""),
        # PROPDESK_IDENTITY overrides; the cn profile has no Cognito, so it defaults to our own accounts
        identity=env.get("PROPDESK_IDENTITY") or ("accounts" if env.get("PROPDESK_PROFILE") == "cn" else "cognito"),
        token_key=env.get("PROPDESK_TOKEN_KEY") or env.get("PROPDESK_TOKEN_KEY_ID", ""),
        contact_pepper=env.get("PROPDESK_CONTACT_PEPPER", ""),
    )


@dataclass(frozen=True)
class Messaging:
    """How the ``cn`` profile sends e-mail and SMS (chalicelib/adapters/channels). Credentials
    are never here: only the names of the Secrets Manager secrets that hold them."""

    sms_provider: str  # aliyun | tencent
    sms_secret: str  # secret id: {"access_key_id", "access_key_secret"} or {"secret_id", "secret_key"}
    sms_sign_name: str  # the provider-approved signature, shown as 【...】
    sms_app_id: str  # Tencent's SmsSdkAppId (Alibaba has none)
    sms_region: str  # "" = the provider's default (cn-hangzhou / ap-guangzhou)
    sms_endpoint: str  # "" = the SDK's own; a URL such as http://127.0.0.1:8026 points it at a local stand-in
    sms_templates: str  # path of the kind x locale -> template code JSON; "" = the one shipped with the adapter
    smtp_host: str
    smtp_port: int
    smtp_tls: str  # auto (465 implicit TLS, else STARTTLS) | starttls | implicit | none (local stages only)
    smtp_secret: str  # secret id: {"username", "password"}; "" = no login (a local server)
    smtp_ca_file: str  # "" = the system's trusted CAs

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Messaging":
        return cls(
            sms_provider=env.get("PROPDESK_SMS_PROVIDER", "aliyun").strip().lower(),
            sms_secret=env.get("PROPDESK_SMS_SECRET_ARN") or env.get("PROPDESK_SMS_SECRET", "propdesk/sms"),
            sms_sign_name=env.get("PROPDESK_SMS_SIGN_NAME", "PropDesk"),
            sms_app_id=env.get("PROPDESK_SMS_APP_ID", ""),
            sms_region=env.get("PROPDESK_SMS_REGION", ""),
            sms_endpoint=env.get("PROPDESK_SMS_ENDPOINT", "").rstrip("/"),
            sms_templates=env.get("PROPDESK_SMS_TEMPLATES", ""),
            smtp_host=env.get("PROPDESK_SMTP_HOST", ""),
            smtp_port=int(env.get("PROPDESK_SMTP_PORT", "465")),
            smtp_tls=env.get("PROPDESK_SMTP_TLS", "auto").strip().lower(),
            smtp_secret=env.get("PROPDESK_SMTP_SECRET_ARN") or env.get("PROPDESK_SMTP_SECRET", "propdesk/smtp"),
            smtp_ca_file=env.get("PROPDESK_SMTP_CA_FILE", ""),
        )


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """A misspelt profile must stop the process at once, not run half of one profile."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(repr(a) for a in allowed if a)}")
    return value

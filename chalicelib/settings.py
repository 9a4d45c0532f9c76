"""One typed settings object, read from the environment once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from .store import schema


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
    contact_pepper: str = ""  # keys residents' contact digests and one-time codes (domain/contacts.py)

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")


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
        contact_pepper=env.get("PROPDESK_CONTACT_PEPPER", ""),
    )

"""Who is asking: taken only from a verified token, never from a request body or query."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden
from .tickets import Actor


@dataclass(frozen=True)
class Identity:
    tenant_id: str
    sub: str
    role: str  # "admin" | "staff"
    name: str = ""
    email: str = ""

    @property
    def actor(self) -> Actor:
        return Actor("staff", self.sub, self.name or self.email.split("@")[0])

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden("Only the firm's admins can do this.")

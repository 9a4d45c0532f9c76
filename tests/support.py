"""Builders for tests: a signed-up firm with a register, staff and tokens."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3


def body(response) -> Any:
    return json.loads(response.body) if response.body else None


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


PASSWORD = "Correct-horse-42"


def sign_in_token(client, email: str, password: str = PASSWORD) -> str:
    response = client.http.post("/auth/signin", headers={"Content-Type": "application/json"},
                                body=json.dumps({"email": email, "password": password}))
    assert response.status_code == 200, response.body
    return body(response)["tokens"]["IdToken"]


def set_password(email: str, password: str = PASSWORD) -> None:
    from chalicelib.adapters.identity import set_password as set_pw
    set_pw(email, password)


@dataclass
class Firm:
    client: Any
    tenant_id: str
    slug: str
    admin_email: str
    admin_token: str
    admin_sub: str
    property_id: str = ""
    building_id: str = ""
    units: list[str] = field(default_factory=list)

    @classmethod
    def sign_up(cls, client, *, locale: str = "en", time_zone: str = "Asia/Shanghai",
                template: str = "prc-residential", with_register: bool = True) -> "Firm":
        slug = unique("firm")
        email = f"admin-{slug}@example.com"
        response = client.http.post("/signup", headers={"Content-Type": "application/json"}, body=json.dumps({
            "name": f"Firm {slug}", "slug": slug, "time_zone": time_zone, "locale": locale,
            "admin_email": email, "admin_name": "Ada Admin", "template": template}))
        assert response.status_code == 201, response.body
        answer = body(response)
        set_password(email)
        firm = cls(client, answer["tenant"]["id"], slug, email, sign_in_token(client, email), answer["admin"]["id"])
        if with_register:
            firm.add_register()
        return firm

    # --- calls as this firm's admin -------------------------------------------------------
    def headers(self, token: str | None = None, **extra: str) -> dict:
        return {"Authorization": f"Bearer {token or self.admin_token}", "Content-Type": "application/json", **extra}

    def call(self, method: str, path: str, payload: Any = None, token: str | None = None, **headers: str):
        data = b"" if payload is None else (payload if isinstance(payload, (bytes, str)) else json.dumps(payload))
        return self.client.http.request(method, path, headers=self.headers(token, **headers), body=data)

    def add_register(self) -> None:
        prop = body(self.call("POST", "/api/properties", {"name": "Garden Court", "address": "1 Garden Rd"}))
        self.property_id = prop["id"]
        building = body(self.call("POST", f"/api/properties/{self.property_id}/buildings", {"name": "Block 3"}))
        self.building_id = building["id"]
        for code in ("1203", "1204"):
            response = self.call("POST", f"/api/properties/{self.property_id}/buildings/{self.building_id}/units",
                                 {"code": code, "floor": 12})
            assert response.status_code == 201, response.body
        self.units = ["1203", "1204"]

    def add_staff(self, name: str = "Wang Wei", role: str = "staff") -> tuple[str, str]:
        """Invite a colleague, give them a password, sign them in. Returns (sub, token)."""
        email = f"{unique('staff')}@example.com"
        response = self.call("POST", "/api/staff", {"email": email, "name": name, "role": role})
        assert response.status_code == 201, response.body
        set_password(email)
        return body(response)["id"], sign_in_token(self.client, email)

    # --- a resident's report ----------------------------------------------------------------
    def report(self, **overrides: Any) -> dict:
        data = {
            "property_id": self.property_id, "building_id": self.building_id, "unit": "1203",
            "category": "repairs", "urgency": "normal",
            "description": "The kitchen tap drips all night.",
            "contact": {"name": "Li Na", "phone": "+86 138 0013 8000"},
            "entry": {"present": False, "windows": [{"days": ["sat"], "from": "09:00", "to": "12:00"}]},
        }
        data.update(overrides)
        return data

    def submit(self, report: dict | None = None, key: str | None = None):
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        return self.client.http.post(f"/r/{self.slug}/tickets", headers=headers,
                                     body=json.dumps(report if report is not None else self.report()))

    def new_ticket(self) -> dict:
        """A ticket created by staff (returns the staff view with id and version)."""
        response = self.call("POST", "/api/tickets", self.report())
        assert response.status_code == 201, response.body
        return body(response)

    def event(self, ticket_id: str, version: int, payload: dict, token: str | None = None):
        return self.call("POST", f"/api/tickets/{ticket_id}/events", payload, token=token,
                         **{"If-Match": f'"{version}"'})


def cognito():
    return boto3.client("cognito-idp")

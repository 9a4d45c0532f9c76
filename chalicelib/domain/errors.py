"""Domain errors. Rules raise these; one place (api/http.py) turns them into HTTP answers.

Nothing here knows about HTTP beyond a suggested status, so services and jobs can
use the same errors.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class InvalidInput(DomainError):
    """One or more fields are wrong; ``fields`` maps each field path to the reason."""

    status = 422
    code = "invalid_input"


class MalformedRequest(DomainError):
    """The request could not be read at all (bad JSON, bad cursor encoding...)."""

    status = 400
    code = "malformed_request"


class NotFound(DomainError):
    """Absent, or belongs to another tenant: callers cannot tell the difference."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    """Someone else changed it first, or the name is taken."""

    status = 409
    code = "conflict"


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition_required"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class TransitionRefused(DomainError):
    """The lifecycle does not allow this event in the ticket's current state."""

    status = 409
    code = "transition_refused"


class RateLimited(DomainError):
    """Too many submissions from one place or to one firm in a short time."""

    status = 429
    code = "rate_limited"


class PlanLimitReached(DomainError):
    """The firm's plan allows no more of this (domain/metering.py); ``fields`` names the limit."""

    status = 403
    code = "plan_limit_reached"

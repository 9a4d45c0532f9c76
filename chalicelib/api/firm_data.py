"""A firm's own data as a whole (admins only): export everything as a ZIP, or ask for the
firm to be deleted. The work itself is the firm-data job's (services/firm_jobs.py)."""

from __future__ import annotations

from chalice import Blueprint

from .http import Call, Later, endpoint, lazy

exports = lazy("chalicelib.services.firm_export")
deletion = lazy("chalicelib.services.firm_delete")

rules = lazy("chalicelib.domain.firm_data")
bp = Blueprint(__name__)


@endpoint(bp, "/api/firm/exports", "POST", admin=True, tags=["tenant"],
          summary="Export everything the firm holds: a ZIP (JSON Lines per kind, CSVs, photos) built in the "
                  "background; its progress and link at GET /api/firm/exports/{export_id}",
          responses={202: "the export, queued"})
def start_export(call: Call):
    return 202, exports.start(call.who)


@endpoint(bp, "/api/firm/exports", "GET", admin=True, tags=["tenant"],
          summary="The firm's exports, newest first, with progress (and a 24-hour link when done)",
          responses={200: "exports"})
def list_exports(call: Call) -> dict:
    return exports.listing(call.who)


@endpoint(bp, "/api/firm/exports/{export_id}", "GET", admin=True, tags=["tenant"],
          summary="One export: its progress, and when done a download link valid 24 hours",
          responses={200: "the export", 404: "no such export (or another firm's)"})
def get_export(call: Call, export_id: str) -> dict:
    return exports.status(call.who, export_id)


@endpoint(bp, "/api/firm/deletion", "GET", admin=True, tags=["tenant"],
          summary="Whether the firm's deletion is asked for, and when it will happen", responses={200: "the request"})
def get_deletion(call: Call) -> dict:
    return deletion.status(call.who)


@endpoint(bp, "/api/firm/deletion", "POST", admin=True, tags=["tenant"], request=Later(lambda: rules.DELETION_REQUEST),
          summary="Ask for the firm and everything it holds to be deleted after a 14-day grace period "
                  "(confirm by typing the firm's short name)",
          responses={202: "asked; when it will happen", 409: "already asked", 422: "the short name does not match"})
def request_deletion(call: Call):
    return 202, deletion.request(call.who, call.json())


@endpoint(bp, "/api/firm/deletion", "DELETE", admin=True, tags=["tenant"],
          summary="Cancel the firm's deletion during the grace period",
          responses={200: "cancelled (false: nothing was pending)"})
def cancel_deletion(call: Call) -> dict:
    return deletion.cancel(call.who)

"""Console pages: dashboard (being built)."""

from __future__ import annotations

from chalice import Blueprint

bp = Blueprint(__name__)

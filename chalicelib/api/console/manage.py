"""Console pages: manage (being built)."""

from __future__ import annotations

from chalice import Blueprint

bp = Blueprint(__name__)

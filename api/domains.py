"""The landing domains as a type, so query parameters validate them and the OpenAPI schema lists them."""

from __future__ import annotations

from typing import Literal

Domain = Literal[
    "clo", "trustee", "geneva", "bloomberg", "resolutions", "scenarios", "equity", "covenants", "performance", "pnl"
]
"""The landing domains of orchestration.core.settings.DOMAINS (a test keeps the two in step)."""

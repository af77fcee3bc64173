"""`links.provenance` on the items other routes serve: where a figure's provenance is (GET it for the walk back)."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import BaseModel, Field

PROVENANCE_PATH = "/api/v1/provenance"


class ProvenanceLinks(BaseModel):
    """Links of a served figure."""

    provenance: str = Field(
        description="Its provenance: source files, cells, run, code version, dbt models and conventions.",
        examples=["/api/v1/provenance/holding/7c9e6679-7425-5de4-944b-e07fc1f90ae7"],
    )


def provenance_link(kind: str, item_id: str) -> dict[str, str]:
    """`{"provenance": "/api/v1/provenance/<kind>/<id>"}`, the id percent-encoded for a path (its `:` kept)."""
    return {"provenance": f"{PROVENANCE_PATH}/{kind}/{quote(item_id, safe=':')}"}


def composite_id(*parts: object) -> str:
    """A composite provenance id: its parts joined with `:` (dates as ISO dates)."""
    return ":".join(part.isoformat() if hasattr(part, "isoformat") else str(part) for part in parts)

"""Position tags: parsing from the CSV with the renames of tags.yaml, and any/all filtering (colours: dbt)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

TAG_MODES = ("any", "all")


def parse_tags(cell: str | None, renames: dict[str, str] | None = None) -> list[str]:
    """Split a comma-separated cell into trimmed, lowercased, renamed, de-duplicated tags (order kept)."""
    if not cell:
        return []
    renames = renames or {}
    seen: list[str] = []
    for part in str(cell).split(","):
        tag = part.strip().lower()
        tag = renames.get(tag, tag)
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def matches(tags: Sequence[str], wanted: Iterable[str], mode: str = "any") -> bool:
    """Whether a position's tags satisfy the filter: any (OR) or all (AND) of `wanted`."""
    wanted_set = {w for w in wanted if w}
    if not wanted_set:
        return True
    have = set(tags)
    if mode == "all":
        return wanted_set <= have
    if mode == "any":
        return bool(wanted_set & have)
    raise ValueError(f"tag mode must be one of {TAG_MODES}, not {mode!r}")

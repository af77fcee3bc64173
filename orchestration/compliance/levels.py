"""Where each applied test level of a workbook's deal came from, with the fallback profile's own level beside it.

Sources follow the deal precedence of `deal.py`: `sidecar` (the sidecar's `deal.tests`) > `structure_sheet`
(the workbook's Structure / Tests / Deal sheets) > `profile:<id>` (the profile the sidecar names) > `default`
(the default profile). A level's source is the highest layer that sets it for that test; a target no layer sets
is the trigger (as `parse_deal` fills it), so it takes the trigger's source. The profile level is the test's
level in the profile the deal falls back to (the named profile merged over the default, as `/compliance/tests`
lists it); None when that profile has no such test (a test the sheet or the sidecar adds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.compliance.config import DEFAULT_PROFILE_ID
from orchestration.compliance.deal import merge_deal

SIDECAR = "sidecar"
STRUCTURE_SHEET = "structure_sheet"
DEFAULT = "default"
PROFILE_PREFIX = "profile:"
SOURCE_PATTERN = r"^(sidecar|structure_sheet|default|profile:\S+)$"
"""Every source label matches this (pandera checks it on write)."""


@dataclass(frozen=True)
class AppliedLevels:
    """One test's level sources and the fallback profile's levels for it."""

    trigger_source: str
    target_source: str
    profile_id: str
    profile_trigger_level: float | None
    profile_target_level: float | None


def _tests_by_id(layer: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """A deal layer's tests keyed by id (a layer without tests is empty)."""
    tests = (layer or {}).get("tests") or []
    return {str(t.get("id")): t for t in tests if isinstance(t, Mapping)}


def _source(layers: list[tuple[str, dict[str, Mapping[str, Any]]]], test_id: str, level: str) -> str | None:
    """The label of the highest layer whose test `test_id` sets `level`, or None when none does."""
    for label, tests in layers:
        if tests.get(test_id, {}).get(level) is not None:
            return label
    return None


def _level(value: Any) -> float | None:
    """A profile level as a number ('115', '7.5%' and 115 alike); None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value).strip().replace(",", "").rstrip("%"))
    except ValueError:
        return None


def level_sources(
    *,
    sidecar: Mapping[str, Any] | None,
    sheet_deal: Mapping[str, Any] | None,
    profiles: Mapping[str, Mapping[str, Any]],
) -> dict[str, AppliedLevels]:
    """Per test id of the merged deal: where its trigger and target came from, and its fallback profile's levels.

    Takes the same inputs as `resolve_deal` (which has validated them: call it first).
    """
    sidecar = sidecar or {}
    named_id = str(sidecar.get("compliance_profile") or "") or DEFAULT_PROFILE_ID
    default = profiles[DEFAULT_PROFILE_ID]["deal"]
    named = profiles[named_id]["deal"] if named_id != DEFAULT_PROFILE_ID else None
    sidecar_deal = sidecar.get("deal") if isinstance(sidecar.get("deal"), Mapping) else None
    layers = [
        (SIDECAR, _tests_by_id(sidecar_deal)),
        (STRUCTURE_SHEET, _tests_by_id(sheet_deal)),
        (f"{PROFILE_PREFIX}{named_id}", _tests_by_id(named)),
        (DEFAULT, _tests_by_id(default)),
    ]
    profile_tests = _tests_by_id(merge_deal(default, named))
    out: dict[str, AppliedLevels] = {}
    for test_id in {test_id for _, tests in layers for test_id in tests}:
        trigger = _source(layers, test_id, "trigger_level")
        if trigger is None:
            continue  # not a valid test of the deal (resolve_deal refuses a test without a trigger)
        in_profile = profile_tests.get(test_id, {})
        profile_trigger = _level(in_profile.get("trigger_level"))
        profile_target = _level(in_profile.get("target_level"))
        out[test_id] = AppliedLevels(
            trigger_source=trigger,
            target_source=_source(layers, test_id, "target_level") or trigger,
            profile_id=named_id,
            profile_trigger_level=profile_trigger,
            profile_target_level=profile_trigger if profile_target is None else profile_target,
        )
    return out

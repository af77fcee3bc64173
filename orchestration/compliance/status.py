"""Status, cushion, publication rounding and trend (issue 4, conventions 1 and 13)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

STATUSES = ("passed", "warning", "failed")
TRENDS = ("improving", "stable", "deteriorating")

TREND_DEAD_BAND_PCT = 0.5
"""Trend dead band: a net move of at most 0.5 % of |trigger level| (or 0.005 when the trigger is 0) over the
last three values is `stable` (documented in docs/compliance.md)."""

_QUANT = Decimal("0.0001")


def round_half_up(value: float | None, places: int = 4) -> float | None:
    """Convention 1: round a published figure once, to 4 decimals, half-up (on its shortest decimal repr)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    quant = _QUANT if places == 4 else Decimal(1).scaleb(-places)
    return float(Decimal(repr(float(value))).quantize(quant, rounding=ROUND_HALF_UP))


def ceil_whole(value: float | None) -> int | None:
    """Indenture-style whole number rounded up (convention 4), on the value's shortest decimal repr."""
    if value is None or not math.isfinite(value):
        return None
    return int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_CEILING))


LEVEL_TOLERANCE = 1e-9
"""Issue 21 C24 / L9: |value − level| ≤ 1e-9 (in the test's unit) counts as equal in the status comparisons."""


def status_of(value: float | None, direction: str, trigger: float, target: float) -> str:
    """Convention 13 on the unrounded value; equality with the trigger is not a failure.

    min: passed if value ≥ target, warning if trigger ≤ value < target, failed if value < trigger.
    max: passed if value ≤ target, warning if target < value ≤ trigger, failed if value > trigger.
    A test whose value cannot be computed (no denominator) fails. Issue 21 C24: a value within `LEVEL_TOLERANCE`
    of a level counts as equal to it (real reports have values exactly at a trigger or a target, and a sum of
    floats lands a few ulps either side).
    """
    if value is None or not math.isfinite(value):
        return "failed"
    sign = 1.0 if direction == "min" else -1.0
    if sign * (value - target) >= -LEVEL_TOLERANCE:
        return "passed"
    return "warning" if sign * (value - trigger) >= -LEVEL_TOLERANCE else "failed"


def cushion_of(value: float | None, direction: str, trigger: float) -> tuple[float | None, float | None]:
    """Convention 13: cushion = value − trigger (min) or trigger − value (max); cushion_pct = cushion/|trigger|×100."""
    if value is None or not math.isfinite(value):
        return None, None
    cushion = value - trigger if direction == "min" else trigger - value
    cushion_pct = cushion / abs(trigger) * 100.0 if trigger != 0 else None
    return cushion, cushion_pct


def trend_of(values: Sequence[float | None], direction: str, trigger: float) -> str:
    """Trend from the last three values (oldest first, current last): net move beyond the dead band.

    A move towards the safe side (up for `min` tests, down for `max`) is `improving`; fewer than two values
    or a net move inside the dead band is `stable`.
    """
    recent = [v for v in values if v is not None and math.isfinite(v)][-3:]
    if len(recent) < 2:
        return "stable"
    band = abs(trigger) * TREND_DEAD_BAND_PCT / 100.0 if trigger != 0 else 0.005
    move = recent[-1] - recent[0]
    if direction == "max":
        move = -move
    if abs(move) <= band:
        return "stable"
    return "improving" if move > 0 else "deteriorating"


def summarise(statuses: Sequence[str]) -> dict[str, int]:
    """Seed summary: total_tests, passed, failed, warning."""
    return {
        "total_tests": len(statuses),
        "passed": sum(s == "passed" for s in statuses),
        "failed": sum(s == "failed" for s in statuses),
        "warning": sum(s == "warning" for s in statuses),
    }


def publish(value: Any) -> Any:
    """Round every float in a nested JSON-able structure once (convention 1); ints, strings, None untouched."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return round_half_up(value)
    if isinstance(value, Mapping):
        return {k: publish(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [publish(v) for v in value]
    return value

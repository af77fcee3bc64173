"""Small hand-built performance documents shared by the tests, and landing a file through the real sensor."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import dagster as dg
import numpy as np

from orchestration.core.resources import LandingZoneResource, WarehouseResource
from orchestration.definitions import defs
from orchestration.ops.assets import landed_files_assets
from orchestration.performance.assets import performance_file_assets, pnl_file_assets


def close(actual: Any, expected: Any, tol: Decimal = Decimal("1e-30"), ftol: float = 1e-12) -> bool:
    """Decimal results within `tol` (30 places by default); floats within `ftol` (1e-12; 1e-8 suits bp)."""
    if isinstance(actual, float | np.floating):
        return abs(float(actual) - float(expected)) <= ftol
    return abs(Decimal(actual) - Decimal(expected)) <= tol


def land(
    platform: Any,
    zone: LandingZoneResource,
    tenant: str,
    domain: str,
    name: str,
    content: bytes,
    raise_on_error: bool = True,
) -> tuple[str, dg.ExecuteInProcessResult]:
    """Drop a file in the landing zone, let the domain's sensor register it, and materialize its partition."""
    path = zone.landing / tenant / domain / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    sensor = defs.resolve_sensor_def(f"{domain}_landing_sensor")
    context = dg.build_sensor_context(
        instance=platform.instance, resources={"warehouse": WarehouseResource(), "landing_zone": zone}
    )
    result = sensor(context)
    (request,) = [r for r in result.run_requests if r.tags["calcbridge/file_name"] == name]
    platform.instance.add_dynamic_partitions(f"{domain}_files", [request.partition_key])
    assets = [landed_files_assets[domain], *(performance_file_assets if domain == "performance" else pnl_file_assets)]
    outcome = dg.materialize(
        assets,
        partition_key=request.partition_key,
        instance=platform.instance,
        resources={"warehouse": WarehouseResource()},
        raise_on_error=raise_on_error,
    )
    return request.partition_key, outcome


def dumps(doc: dict[str, Any]) -> str:
    """JSON with Decimals written as their exact text (numbers, not strings)."""

    class _Encoder(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            if isinstance(o, Decimal):
                return float(o)
            return super().default(o)

    return json.dumps(doc, cls=_Encoder)


def two_day_attribution_doc(mode: str = "DECIMAL_STRICT") -> dict[str, Any]:
    """Day 1: R_1 = B_1 = 0.008 (the k limit); day 2: R_2 = 0.02, B_2 = 0.01 (see test_attribution for the working)."""
    return {
        "portfolio": {"id": "ATTR", "base_currency": "USD"},
        "series": [
            {"date": "2024-02-28", "begin_mv": 1000, "end_mv": 1008},
            {"date": "2024-02-29", "begin_mv": 1008, "end_mv": 1028.16},
        ],
        "positions": [
            {
                "id": "T1",
                "group_keys": {"sector": "Tech"},
                "series": [
                    {"date": "2024-02-28", "begin_mv": 600, "pnl": 12, "end_mv": 612},
                    {"date": "2024-02-29", "begin_mv": 504, "pnl": 5.04, "end_mv": 509.04},
                ],
            },
            {
                "id": "E1",
                "group_keys": {"sector": "Energy"},
                "series": [
                    {"date": "2024-02-28", "begin_mv": 400, "pnl": -4, "end_mv": 396},
                    {"date": "2024-02-29", "begin_mv": 504, "pnl": 15.12, "end_mv": 519.12},
                ],
            },
        ],
        "benchmark": {
            "mode": "BY_GROUP",
            "group_keys": ["sector"],
            "weights": [
                {"date": "2024-02-28", "key": {"sector": "Tech"}, "weight": 0.5, "return": 0.01},
                {"date": "2024-02-28", "key": {"sector": "Energy"}, "weight": 0.5, "return": 0.006},
                {"date": "2024-02-29", "key": {"sector": "Tech"}, "weight": 0.5, "return": 0.02},
                {"date": "2024-02-29", "key": {"sector": "Energy"}, "weight": 0.5, "return": 0.0},
            ],
        },
        "config": {"precision_mode": mode},
    }


def one_day_doc(mode: str, benchmark: dict[str, Any]) -> dict[str, Any]:
    """One day, R = 1010/1000 − 1 = 0.01: A Tech/US 400 (+8), B Tech/EU 100 (−1), C Energy/US 500 (+3)."""

    def position(pid: str, sector: str, region: str, begin: int, pnl: int) -> dict[str, Any]:
        row = {"date": "2024-03-01", "begin_mv": begin, "pnl": pnl, "end_mv": begin + pnl}
        return {"id": pid, "group_keys": {"sector": sector, "region": region}, "series": [row]}

    return {
        "portfolio": {"id": "KEYS"},
        "series": [{"date": "2024-03-01", "begin_mv": 1000, "end_mv": 1010}],
        "positions": [
            position("A", "Tech", "US", 400, 8),
            position("B", "Tech", "EU", 100, -1),
            position("C", "Energy", "US", 500, 3),
        ],
        "benchmark": benchmark,
        "config": {"precision_mode": mode},
    }


BY_GROUP = {
    "mode": "BY_GROUP",
    "group_keys": ["sector", "region"],
    "weights": [
        {"date": "2024-03-01", "key": {"sector": s, "region": r}, "weight": w, "return": ret}
        for s, r, w, ret in (
            ("Tech", "US", 0.3, 0.01),
            ("Tech", "EU", 0.2, 0.0),
            ("Energy", "US", 0.3, 0.005),
            ("Energy", "EU", 0.2, 0.01),
        )
    ],
}
# The same benchmark as constituents: X1 + X2 make Tech/US (w 0.3, r = (0.1·0.02 + 0.2·0.005)/0.3 = 0.01).
BY_INSTRUMENT = {
    "mode": "BY_INSTRUMENT",
    "weights": [
        {"date": "2024-03-01", "id": i, "group_keys": {"sector": s, "region": r}, "weight": w, "return": ret}
        for i, s, r, w, ret in (
            ("X1", "Tech", "US", 0.1, 0.02),
            ("X2", "Tech", "US", 0.2, 0.005),
            ("X3", "Tech", "EU", 0.2, 0.0),
            ("X4", "Energy", "US", 0.3, 0.005),
            ("X5", "Energy", "EU", 0.2, 0.01),
        )
    ],
}

"""Small hand-built performance documents shared by the tests, and landing a file through the real sensor."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import dagster as dg

from orchestration.core.resources import LandingZoneResource, WarehouseResource
from orchestration.definitions import defs
from orchestration.ops.assets import landed_files_assets
from orchestration.performance.assets import performance_file_assets, pnl_file_assets


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

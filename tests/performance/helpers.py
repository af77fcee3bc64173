"""Small hand-built performance documents shared by the tests."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


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

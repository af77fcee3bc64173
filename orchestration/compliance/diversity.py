"""Moody's diversity score table, kept as data in assets_config/compliance/diversity_table.yaml (convention 10)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from orchestration.compliance.deal import COMPLIANCE_CONFIG_DIR
from orchestration.core.errors import InputError

DIVERSITY_TABLE_PATH = COMPLIANCE_CONFIG_DIR / "diversity_table.yaml"
KEY_TOLERANCE = 1e-9
"""Aggregates within 1e-9 of a key count as reaching it (float sums like 1.05 may land at 1.0499999999)."""


@dataclass(frozen=True)
class DiversityTable:
    """Keys (aggregate industry equivalent unit scores) ascending and the industry diversity score at each."""

    keys: np.ndarray
    scores: np.ndarray
    max_score: float
    industries: tuple[str, ...]

    def lookup(self, aggregates: np.ndarray) -> np.ndarray:
        """Score at the largest key not above each aggregate (between two keys the lower); above → max."""
        aggregates = np.asarray(aggregates, dtype=np.float64)
        idx = np.searchsorted(self.keys, aggregates + KEY_TOLERANCE, side="right") - 1
        out = self.scores[np.clip(idx, 0, len(self.scores) - 1)]
        out = np.where(idx < 0, 0.0, out)
        return np.where(aggregates > self.keys[-1] + 0.1, self.max_score, out)


def load_diversity_table(path: Path = DIVERSITY_TABLE_PATH) -> DiversityTable:
    """Read and check the table: keys strictly increasing from 0, scores non-decreasing, 35 industries."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    table = np.asarray(data["table"], dtype=np.float64)
    keys, scores = table[:, 0], table[:, 1]
    if keys[0] != 0 or np.any(np.diff(keys) <= 0) or np.any(np.diff(scores) < 0):
        raise InputError("DIVERSITY_TABLE_INVALID", "keys must rise from 0 and scores never fall", str(path))
    industries = tuple(data.get("industries") or ())
    if len(industries) != 35:
        raise InputError("DIVERSITY_TABLE_INVALID", "expected the 35 Moody's industry names", str(path))
    return DiversityTable(keys=keys, scores=scores, max_score=float(data["max_score"]), industries=industries)


@lru_cache(maxsize=1)
def default_diversity_table() -> DiversityTable:
    """The shipped table, read once per process."""
    return load_diversity_table()

"""Moody's diversity score table, kept as data in assets_config/compliance/diversity_table.yaml (convention 10)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from orchestration.compliance.config import DIVERSITY_TABLE_PATH, load_diversity_document

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
    """The table of compliance.config's checked file: keys rising from 0, scores never falling, 35 industries."""
    document = load_diversity_document(path)
    table = np.asarray(document.table, dtype=np.float64)
    return DiversityTable(
        keys=table[:, 0], scores=table[:, 1], max_score=document.max_score, industries=document.industries
    )


@lru_cache(maxsize=1)
def default_diversity_table() -> DiversityTable:
    """The shipped table, read once per process."""
    return load_diversity_table()

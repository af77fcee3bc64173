"""Equity settings from `assets_config/factors.yaml` and `assets_config/tags.yaml` (validated with pydantic)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from orchestration.core.config import load_model, read_yaml
from orchestration.core.settings import PROJECT_ROOT

FACTORS_CONFIG = PROJECT_ROOT / "assets_config" / "factors.yaml"
TAGS_CONFIG = PROJECT_ROOT / "assets_config" / "tags.yaml"
INVALID_EQUITY_CONFIG = "INVALID_EQUITY_CONFIG"


class Factor(BaseModel):
    """One factor and the ETF whose returns stand in for it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    etf: str


class ShortInterest(BaseModel):
    """The eighth factor: only computed from a supplied series (a folder of per-ticker CSVs)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "Short Interest"
    series_path: str | None = None


class EquitySettings(BaseModel):
    """Windows, rates and factor proxies used by the daily equity pipeline."""

    model_config = ConfigDict(extra="forbid")

    factors: list[Factor]
    short_interest: ShortInterest = ShortInterest()
    beta_window: int = Field(default=60, ge=2)
    min_observations: int = Field(default=20, ge=3)
    volatility_window: int = Field(default=30, ge=2)
    risk_window: int = Field(default=60, ge=2)
    drawdown_window: int = Field(default=90, ge=2)
    risk_free_rate: float = 0.05
    ewma_lambda: float = Field(default=0.94, gt=0, lt=1)
    var_confidence: float = Field(default=0.95, gt=0.5, lt=1)
    backfill_days: int = Field(default=90, ge=1)
    snapshot_retention_days: int = Field(default=365, ge=1)
    calendar_start: dt.date = dt.date(2024, 1, 2)

    @property
    def etfs(self) -> list[str]:
        return [f.etf for f in self.factors]


class TagSettings(BaseModel):
    """Renames applied to CSV tags and display colours."""

    model_config = ConfigDict(extra="forbid")

    renames: dict[str, str] = Field(default_factory=dict)
    colors: dict[str, str] = Field(default_factory=dict)


def load_settings(path: Path = FACTORS_CONFIG) -> EquitySettings:
    """Read and validate factors.yaml (ConfigError INVALID_EQUITY_CONFIG naming the file and field)."""
    data = read_yaml(path, code=INVALID_EQUITY_CONFIG)
    return load_model(EquitySettings, data, code=INVALID_EQUITY_CONFIG, where=str(path))


def load_tag_settings(path: Path = TAGS_CONFIG) -> TagSettings:
    """Read and validate tags.yaml (an absent file means no renames and derived colours)."""
    if not path.exists():
        return TagSettings()
    data = read_yaml(path, code=INVALID_EQUITY_CONFIG) or {}
    return load_model(TagSettings, data, code=INVALID_EQUITY_CONFIG, where=str(path))


@lru_cache(maxsize=1)
def settings() -> EquitySettings:
    """The settings of this process (cached; definitions read them at import)."""
    return load_settings()

"""Equity settings from `assets_config/factors.yaml` and `assets_config/tags.yaml` (validated with pydantic)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat

from orchestration.core.config import load_model, read_yaml
from orchestration.core.settings import PROJECT_ROOT
from orchestration.equity import synthetic

FACTORS_CONFIG = PROJECT_ROOT / "assets_config" / "factors.yaml"
TAGS_CONFIG = PROJECT_ROOT / "assets_config" / "tags.yaml"
INVALID_EQUITY_CONFIG = "INVALID_EQUITY_CONFIG"
ENVIRONMENT_OVERRIDES = {  # variable -> (section or None, field): each wins over factors.yaml
    "CALCBRIDGE_PRICE_SOURCE": ("price_source", "kind"),
    "CALCBRIDGE_PRICE_CSV_FOLDER": ("price_source", "csv_folder"),
    "CALCBRIDGE_CALENDAR_START": (None, "calendar_start"),
    "CALCBRIDGE_SHORT_INTEREST_PATH": ("short_interest", "series_path"),
}


class Factor(BaseModel):
    """One factor and the ETF whose returns stand in for it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    etf: str


class ShortInterest(BaseModel):
    """The eighth factor: computed only from a supplied series (a folder of per-ticker CSVs; `series` names one)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "Short Interest"
    series_path: str | None = None
    series: str = "SHORT_INTEREST"

    def folder(self) -> Path | None:
        """The series folder (a relative path is from the project root), or None when none is configured."""
        return _project_path(self.series_path) if self.series_path else None


class PriceSourceSettings(BaseModel):
    """Which market data source every run uses (UI, daemon and CLI alike)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["synthetic", "csv", "polygon"] = "synthetic"
    csv_folder: str | None = None

    def folder(self) -> Path | None:
        """The CSV folder (a relative path is from the project root)."""
        return _project_path(self.csv_folder) if self.csv_folder else None


def _project_path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


class SyntheticPrices(BaseModel):
    """Levels of the synthetic source for tickers no landed file prices (the first landed entry price wins)."""

    model_config = ConfigDict(extra="forbid")

    anchor_date: dt.date = dt.date(2023, 10, 27)
    levels: dict[str, PositiveFloat] = Field(default_factory=dict)
    default_level: PositiveFloat = 100.0

    def anchors(self) -> dict[str, synthetic.Anchor]:
        """Each configured ticker's anchor (its level on anchor_date)."""
        return {ticker: synthetic.Anchor(self.anchor_date, level) for ticker, level in self.levels.items()}

    @property
    def default(self) -> synthetic.Anchor:
        """The anchor of a ticker neither a landed file nor `levels` prices."""
        return synthetic.Anchor(self.anchor_date, self.default_level)


class EquitySettings(BaseModel):
    """Windows, rates and factor proxies used by the daily equity pipeline."""

    model_config = ConfigDict(extra="forbid")

    factors: list[Factor]
    short_interest: ShortInterest = ShortInterest()
    price_source: PriceSourceSettings = PriceSourceSettings()
    synthetic: SyntheticPrices = SyntheticPrices()
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
        """The factor ETFs the price source prices."""
        return [f.etf for f in self.factors]

    @property
    def factor_set(self) -> list[Factor]:
        """Every computed factor: the ETF factors, then Short Interest when a series folder is configured."""
        si = self.short_interest
        return [*self.factors, Factor(name=si.name, etf=si.series)] if si.series_path else list(self.factors)

    @property
    def factor_columns(self) -> list[str]:
        """The close columns of the computed factors (ETF tickers and the short-interest series' name)."""
        return [f.etf for f in self.factor_set]


class TagSettings(BaseModel):
    """Renames applied to CSV tags and display colours."""

    model_config = ConfigDict(extra="forbid")

    renames: dict[str, str] = Field(default_factory=dict)
    colors: dict[str, str] = Field(default_factory=dict)


def load_settings(path: Path = FACTORS_CONFIG, environ: Mapping[str, str] | None = None) -> EquitySettings:
    """Read and validate factors.yaml with the environment's overrides.

    A bad value is a ConfigError INVALID_EQUITY_CONFIG naming the file, the variables applied and the field.
    """
    data: Any = read_yaml(path, code=INVALID_EQUITY_CONFIG)
    where = str(path)
    applied = []
    for variable, (section, name) in ENVIRONMENT_OVERRIDES.items():
        value = (os.environ if environ is None else environ).get(variable, "").strip()
        if not value or not isinstance(data, dict):
            continue
        target = data if section is None else data.setdefault(section, {})
        if isinstance(target, dict):
            target[name] = value
            applied.append(f"${variable}")
    if applied:
        where = f"{path} with {', '.join(applied)}"
    return load_model(EquitySettings, data, code=INVALID_EQUITY_CONFIG, where=where)


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

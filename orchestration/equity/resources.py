"""The PriceSource resource: which market data source the daily assets use (synthetic by default)."""

import os
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine

from orchestration.equity import prices
from orchestration.equity.config import settings
from orchestration.equity.store import SqlCache


class PriceSourceResource(dg.ConfigurableResource):
    """kind: synthetic (deterministic factor model), csv (a folder of per-ticker files) or polygon (HTTP)."""

    kind: Literal["synthetic", "csv", "polygon"] = "synthetic"
    csv_folder: str | None = None
    polygon_base_url: str = "https://api.polygon.io"
    polygon_api_key_env: str = "POLYGON_API_KEY"
    requests_per_minute: float = 5.0
    max_retries: int = 5
    cache_ttl_hours: float = 24.0
    unknown_tickers: list[str] = Field(default_factory=list)

    def build(self, engine: Engine | None = None) -> prices.PriceSource:
        """The configured source; Polygon caches in market_data_cache when given the warehouse engine."""
        if self.kind == "csv":
            if not self.csv_folder:
                raise ValueError("price source kind csv needs csv_folder")
            return prices.CsvPriceSource(Path(self.csv_folder))
        if self.kind == "polygon":
            key = os.environ.get(self.polygon_api_key_env, "")
            if not key:
                raise ValueError(f"price source kind polygon needs the API key in ${self.polygon_api_key_env}")
            return prices.PolygonClient(
                api_key=key,
                base_url=self.polygon_base_url,
                requests_per_minute=self.requests_per_minute,
                max_retries=self.max_retries,
                cache_ttl_seconds=self.cache_ttl_hours * 3600,
                cache=SqlCache(engine) if engine is not None else None,
            )
        return prices.SyntheticPriceSource(
            risk_free_rate=settings().risk_free_rate, unknown=frozenset(self.unknown_tickers)
        )

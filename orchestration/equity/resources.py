"""The PriceSource resource: which market data source the daily assets use (synthetic by default)."""

import os
from pathlib import Path

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine

from orchestration.equity import prices, store
from orchestration.equity.config import settings

KINDS = ("synthetic", "csv", "polygon")


class PriceSourceResource(dg.ConfigurableResource):
    """kind: synthetic (deterministic factor model), csv (a folder of per-ticker files) or polygon (HTTP).

    Unset fields come from factors.yaml `price_source` and its environment overrides ($CALCBRIDGE_PRICE_SOURCE,
    $CALCBRIDGE_PRICE_CSV_FOLDER), so every run of a deployment uses one source without editing code.
    """

    kind: str | None = Field(default=None, description="synthetic, csv or polygon; unset = factors.yaml/environment")
    csv_folder: str | None = None
    polygon_base_url: str = "https://api.polygon.io"
    polygon_api_key_env: str = "POLYGON_API_KEY"
    requests_per_minute: float = 5.0
    max_retries: int = 5
    cache_ttl_hours: float = 24.0
    unknown_tickers: list[str] = Field(default_factory=list)

    def build(self, engine: Engine | None = None) -> prices.PriceSource:
        """The configured source; Polygon caches in market_data_cache when given the warehouse engine."""
        configured = settings().price_source
        kind = self.kind or configured.kind
        if kind not in KINDS:
            raise ValueError(f"price source kind {kind!r} is not one of {', '.join(KINDS)}")
        if kind == "csv":
            folder = Path(self.csv_folder) if self.csv_folder else configured.folder()
            if folder is None:
                raise ValueError(
                    "price source kind csv needs a folder: factors.yaml price_source.csv_folder or "
                    "$CALCBRIDGE_PRICE_CSV_FOLDER"
                )
            return prices.CsvPriceSource(folder)
        if kind == "polygon":
            key = os.environ.get(self.polygon_api_key_env, "")
            if not key:
                raise ValueError(f"price source kind polygon needs the API key in ${self.polygon_api_key_env}")
            return prices.PolygonClient(
                api_key=key,
                base_url=self.polygon_base_url,
                requests_per_minute=self.requests_per_minute,
                max_retries=self.max_retries,
                cache_ttl_seconds=self.cache_ttl_hours * 3600,
                cache=store.SqlCache(engine) if engine is not None else None,
            )
        levels = settings().synthetic
        anchors = {**levels.anchors(), **(store.synthetic_anchors(engine) if engine is not None else {})}
        return prices.SyntheticPriceSource(
            risk_free_rate=settings().risk_free_rate,
            unknown=frozenset(self.unknown_tickers),
            anchors=anchors,
            default=levels.default,
        )

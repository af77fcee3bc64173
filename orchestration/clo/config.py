"""CLO workbook settings from the environment (prefix `CALCBRIDGE_CLO_`); run config may override them."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestration.clo.reader import DEFAULT_MAX_BYTES


class CloSettings(BaseSettings):
    """Limits and thresholds of workbook processing."""

    model_config = SettingsConfigDict(env_prefix="CALCBRIDGE_CLO_", extra="ignore")

    max_workbook_bytes: int = Field(
        default=DEFAULT_MAX_BYTES, gt=0, description="Upload limit; the decompressed limit is 20x this."
    )
    anomaly_threshold: float = Field(default=3.0, gt=0, description="|z| above this is an anomaly.")
    trend_history: int = Field(default=6, ge=2, description="Report dates a trend looks back over (incl. current).")


@lru_cache(maxsize=1)
def get_clo_settings() -> CloSettings:
    """The process-wide CLO settings (tests call `get_clo_settings.cache_clear()` after changing env)."""
    return CloSettings()

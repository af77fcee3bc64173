"""Covenant and model-training configuration from `assets_config/` (validated; run config may override).

`assets_config/covenants.yaml`: evaluation tolerance, risk tiers, SHAP top-k, external data folder.
`assets_config/ml/breach_model.yaml` and `assets_config/ml/external.yaml`: seed 001's training config
(`POST /ml/train` body) plus the promotion rule and the minimum data a training needs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestration.core.config import ConfigError, load_model, read_yaml
from orchestration.core.settings import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "assets_config"
COVENANTS_CONFIG = CONFIG_DIR / "covenants.yaml"
BREACH_MODEL_CONFIG = CONFIG_DIR / "ml" / "breach_model.yaml"
EXTERNAL_MODEL_CONFIG = CONFIG_DIR / "ml" / "external.yaml"

INVALID_COVENANTS_CONFIG = "INVALID_COVENANTS_CONFIG"
INVALID_TRAINING_CONFIG = "INVALID_TRAINING_CONFIG"

Device = Literal["auto", "cpu", "cuda"]


class TrainingConfig(BaseModel):
    """Seed 001's training configuration (the `POST /ml/train` body), validated."""

    model_config = ConfigDict(extra="forbid")

    learning_rate: float = Field(gt=0, le=1)
    max_depth: int = Field(ge=1, le=32)
    n_estimators: int = Field(ge=1, le=10_000)
    subsample: float = Field(gt=0, le=1)
    colsample_bytree: float = Field(gt=0, le=1)
    random_state: int = Field(ge=0)
    train_ratio: float = Field(gt=0, lt=1)
    val_ratio: float = Field(gt=0, lt=1)
    test_ratio: float = Field(gt=0, lt=1)
    early_stopping_rounds: int = Field(ge=1)
    device: Device = "auto"
    reg_alpha: float = Field(default=0.0, ge=0)
    reg_lambda: float = Field(default=1.0, ge=0)
    scale_pos_weight: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ratios_sum_to_one(self) -> TrainingConfig:
        total = self.train_ratio + self.val_ratio + self.test_ratio
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"train_ratio + val_ratio + test_ratio must be 1, got {total}")
        return self


class PromotionConfig(BaseModel):
    """Promotion: recall > 0 at the HIGH tier and validation AUC > the active one's − `tolerance` (issue 14).

    Tolerance 0 means strictly better; the HIGH edge is `risk_tiers.high` of covenants.yaml.
    """

    model_config = ConfigDict(extra="forbid")

    metric: Literal["val_auc"] = "val_auc"
    tolerance: float = Field(default=0.0, ge=0)


class ModelConfig(BaseModel):
    """One model's file: training config, promotion rule and minimum data."""

    model_config = ConfigDict(extra="forbid")

    training: TrainingConfig
    promotion: PromotionConfig = PromotionConfig()
    min_samples: int = Field(default=30, ge=10)
    min_positives: int = Field(default=5, ge=3)


class CovenantsConfig(BaseModel):
    """`assets_config/covenants.yaml`."""

    model_config = ConfigDict(extra="forbid")

    tolerance_ratio_scaled: int = Field(default=10, ge=0)
    risk_tiers: dict[str, float] = {"medium": 0.33, "high": 0.66}
    top_features: int = Field(default=3, ge=1, le=20)
    external_data_dir: str | None = None

    @model_validator(mode="after")
    def _tiers(self) -> CovenantsConfig:
        if (
            set(self.risk_tiers) != {"medium", "high"}
            or not 0 < self.risk_tiers["medium"] < self.risk_tiers["high"] < 1
        ):
            raise ValueError("risk_tiers needs 0 < medium < high < 1")
        return self


def _read_yaml(path: Path, code: str) -> dict[str, Any]:
    """The file's mapping; an absent file means every default."""
    data = read_yaml(path, code=code) if path.exists() else {}
    if not isinstance(data, dict):
        raise ConfigError(code, "expected a mapping at the top level", str(path))
    return data


def load_covenants_config(path: Path = COVENANTS_CONFIG) -> CovenantsConfig:
    """covenants.yaml, validated (ConfigError INVALID_COVENANTS_CONFIG naming the field)."""
    return load_model(
        CovenantsConfig, _read_yaml(path, INVALID_COVENANTS_CONFIG), code=INVALID_COVENANTS_CONFIG, where=str(path)
    )


def load_model_config(path: Path, overrides: dict[str, Any] | None = None) -> ModelConfig:
    """The YAML file with run-config overrides (None values ignored) applied to its `training` block.

    Bad values raise ConfigError INVALID_TRAINING_CONFIG, which is also a ValueError (what callers catch).
    """
    data = _read_yaml(path, INVALID_TRAINING_CONFIG)
    training = {**data.get("training", {}), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    return load_model(ModelConfig, {**data, "training": training}, code=INVALID_TRAINING_CONFIG, where=str(path))

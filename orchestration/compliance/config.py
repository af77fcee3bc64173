"""Compliance settings read with core.config: deal profiles, the diversity table, alert rules and webhooks.

`assets_config/compliance/*.yaml` holds the deal profiles (files with a `deal` key; `deal.parse_deal` turns one
into `DealInputs`, since its merging rules are the profile's semantics) and `diversity_table.yaml`;
`assets_config/alerts/*.yaml` holds the alert rules and webhook subscriptions (seed 000 "Alert Configuration
Request" shape), validated here as pydantic models. Every bad file is a typed `ConfigError` naming the file
and the field.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestration.core.config import ConfigError, load_model, read_yaml
from orchestration.core.settings import PROJECT_ROOT

COMPLIANCE_CONFIG_DIR = PROJECT_ROOT / "assets_config" / "compliance"
ALERTS_CONFIG_DIR = PROJECT_ROOT / "assets_config" / "alerts"
DIVERSITY_TABLE_PATH = COMPLIANCE_CONFIG_DIR / "diversity_table.yaml"
DEFAULT_PROFILE_ID = "default"

PROFILE_INVALID = "PROFILE_INVALID"
DIVERSITY_TABLE_INVALID = "DIVERSITY_TABLE_INVALID"
ALERT_RULE_INVALID = "ALERT_RULE_INVALID"
ALERT_WEBHOOK_INVALID = "ALERT_WEBHOOK_INVALID"

Operator = Literal["less_than", "less_than_or_equal", "greater_than", "greater_than_or_equal", "equals", "not_equals"]
Severity = Literal["info", "warning", "critical"]
Channel = Literal["email", "webhook"]
Event = Literal["compliance.failed", "compliance.warning"]
EVENTS: tuple[str, ...] = get_args(Event)

_STRICT = ConfigDict(frozen=True, extra="forbid")


def _listed(value: Any) -> Any:
    """YAML `key:` with nothing after it is None; a list field then means empty."""
    return [] if value is None else value


class Condition(BaseModel):
    """`condition:` of a rule: a test id, `<test>.cushion(_pct)` or a scalar intermediate, compared to a number."""

    model_config = _STRICT

    metric: str = Field(min_length=1)
    operator: Operator
    threshold: float


class AlertRuleEntry(BaseModel):
    """One rule in an alerts file; `name` defaults to the id, scope (tenant_id, deal_id) to every one."""

    model_config = _STRICT

    id: str = Field(min_length=1)
    name: str | None = None
    description: str = ""
    condition: Condition
    severity: Severity = "warning"
    channels: tuple[Channel, ...] = ()
    recipients: tuple[str, ...] = ()
    webhook_url: str | None = None
    webhook_secret_env: str | None = None
    cooldown_minutes: float = Field(default=60, ge=0)
    enabled: bool = True
    tenant_id: str | None = None
    deal_id: str | None = None

    _lists = field_validator("channels", "recipients", mode="before")(_listed)

    @model_validator(mode="after")
    def _webhook_channel_has_a_url(self) -> AlertRuleEntry:
        if "webhook" in self.channels and not self.webhook_url:
            raise ValueError("a webhook channel needs webhook_url")
        return self


class WebhookEntry(BaseModel):
    """A subscription to compliance.failed / compliance.warning events (all of them when `events` is absent)."""

    model_config = _STRICT

    id: str | None = None
    url: str = Field(min_length=1)
    events: tuple[Event, ...] = EVENTS  # type: ignore[assignment]
    secret_env: str | None = None
    tenant_id: str | None = None

    @field_validator("events", mode="before")
    @classmethod
    def _all_when_empty(cls, value: Any) -> Any:
        return value or EVENTS


class AlertRulesPart(BaseModel):
    """The `rules:` list of an alerts file (other keys are the webhooks part's)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rules: list[AlertRuleEntry] = Field(default_factory=list)

    _lists = field_validator("rules", mode="before")(_listed)


class WebhooksPart(BaseModel):
    """The `webhooks:` list of an alerts file."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    webhooks: list[WebhookEntry] = Field(default_factory=list)

    _lists = field_validator("webhooks", mode="before")(_listed)


def parse_alerts_document(name: str, document: Any) -> tuple[list[AlertRuleEntry], list[WebhookEntry]]:
    """One alerts file's rules and webhooks, each error at `<file>:<field path>`.

    A bad rule is ALERT_RULE_INVALID, a bad webhook ALERT_WEBHOOK_INVALID.
    """
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise ConfigError(ALERT_RULE_INVALID, "an alerts file is a mapping with `rules` and `webhooks`", name)
    unknown = sorted(set(document) - {"rules", "webhooks"})
    if unknown:
        raise ConfigError(ALERT_RULE_INVALID, f"unknown keys {unknown}; expected rules and webhooks", name)
    rules = load_model(AlertRulesPart, document, code=ALERT_RULE_INVALID, where=name, separator=":").rules
    hooks = load_model(WebhooksPart, document, code=ALERT_WEBHOOK_INVALID, where=name, separator=":").webhooks
    return rules, hooks


def alert_documents(config_dir: Path = ALERTS_CONFIG_DIR) -> list[tuple[str, Any]]:
    """(file name, parsed YAML) of every *.yaml / *.yml under the alerts folder, by name."""
    return [(path.name, read_yaml(path, code=ALERT_RULE_INVALID)) for path in sorted(config_dir.glob("*.y*ml"))]


def read_profile(path: Path) -> dict[str, Any]:
    """A compliance profile file as a mapping (an empty file is an empty mapping); PROFILE_INVALID otherwise."""
    data = read_yaml(path, code=PROFILE_INVALID) or {}
    if not isinstance(data, dict):
        raise ConfigError(PROFILE_INVALID, "a compliance profile must be a mapping", str(path))
    return data


def load_profiles(config_dir: Path = COMPLIANCE_CONFIG_DIR) -> dict[str, dict[str, Any]]:
    """Every compliance profile in `assets_config/compliance/*.yaml` (files with a `deal` key), by id."""
    profiles: dict[str, dict[str, Any]] = {}
    for path in sorted(config_dir.glob("*.y*ml")):
        data = read_profile(path)
        if "deal" not in data:
            continue
        profiles[str(data.get("id") or path.stem)] = data
    if DEFAULT_PROFILE_ID not in profiles:
        raise ConfigError("PROFILE_MISSING", "the default compliance profile is missing", str(config_dir))
    return profiles


class DiversityTableFile(BaseModel):
    """diversity_table.yaml: [aggregate, score] pairs with keys rising from 0, the cap and the 35 industries."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table: list[tuple[float, float]] = Field(min_length=1)
    max_score: float
    industries: tuple[str, ...] = Field(min_length=35, max_length=35)

    @model_validator(mode="after")
    def _monotone(self) -> DiversityTableFile:
        keys = [k for k, _ in self.table]
        scores = [s for _, s in self.table]
        rising = all(b > a for a, b in itertools.pairwise(keys))
        never_falling = all(b >= a for a, b in itertools.pairwise(scores))
        if keys[0] != 0 or not rising or not never_falling:
            raise ValueError("keys must rise from 0 and scores never fall")
        return self


def load_diversity_document(path: Path = DIVERSITY_TABLE_PATH) -> DiversityTableFile:
    """The diversity table file, validated (DIVERSITY_TABLE_INVALID naming the field)."""
    data = read_yaml(path, code=DIVERSITY_TABLE_INVALID)
    return load_model(DiversityTableFile, data, code=DIVERSITY_TABLE_INVALID, where=str(path))

"""Tolerance profiles, auto-resolution rules and the identifier matching order, read from assets_config/reconciliation/.

A bad file is an InputError INVALID_TOLERANCE_CONFIG / INVALID_AUTO_RULES / INVALID_MATCHING_CONFIG whose `where`
is the file, `: ` and the field path (`profiles.default.par_amount.absolute`, `rules[0].kind`,
`identifier_order.2`); pydantic validates each (core.config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestration.core.config import load_model, read_yaml
from orchestration.core.errors import InputError
from orchestration.core.settings import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "assets_config" / "reconciliation"
TOLERANCES_PATH = CONFIG_DIR / "tolerances.yaml"
AUTO_RULES_PATH = CONFIG_DIR / "auto_rules.yaml"
MATCHING_PATH = CONFIG_DIR / "matching.yaml"
NUMERIC_FIELDS: tuple[str, ...] = ("par_amount", "price", "market_value", "accrued_interest")
RuleKind = Literal["difference_below", "pending_trade"]
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)
INVALID_TOLERANCE_CONFIG = "INVALID_TOLERANCE_CONFIG"
INVALID_AUTO_RULES = "INVALID_AUTO_RULES"
INVALID_MATCHING_CONFIG = "INVALID_MATCHING_CONFIG"
Identifier = Literal["cusip", "isin", "figi", "loanx_id", "asset_id"]
IDENTIFIERS: tuple[str, ...] = get_args(Identifier)
"""The identifiers a position can be matched on (the canonical holding's identifier fields)."""

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class FieldTolerance(BaseModel):
    """Bounds for one numeric field: within when |difference| ≤ absolute or |difference_pct| ≤ percent."""

    model_config = _FROZEN

    absolute: float | None = None
    percent: float | None = None


class ToleranceProfile(BaseModel):
    """A named set of tolerances (seed 000 `tolerance_profile`)."""

    model_config = _FROZEN

    name: str
    description: str = ""
    fields: dict[str, FieldTolerance] = Field(default_factory=dict)
    rating_notches: int = 0
    issuer_similarity: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        """The profile as the API and the reports show it."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for name, tol in self.fields.items():
            out[name] = {"absolute": tol.absolute, "percent": tol.percent}
        out["rating"] = {"notches": self.rating_notches}
        out["identity"] = {"issuer_similarity": self.issuer_similarity}
        return out


class AutoRule(BaseModel):
    """One auto-resolution rule; its id is recorded on every variance it resolves."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    kind: RuleKind
    fields: tuple[str, ...] = ()
    description: str = ""
    abs_below: float | None = None
    precision: float = 0.01
    explanation: str = ""
    action: str = "no_action_required"
    enabled: bool = True

    @field_validator("fields", mode="before")
    @classmethod
    def _no_fields(cls, value: Any) -> Any:
        return () if value is None else value

    @model_validator(mode="after")
    def _difference_below_has_a_bound(self) -> AutoRule:
        if self.kind == "difference_below" and self.abs_below is None:
            raise ValueError("difference_below needs abs_below")
        return self

    def as_dict(self) -> dict[str, Any]:
        """The rule as the API shows it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "fields": list(self.fields),
            "description": self.description,
            "abs_below": self.abs_below,
            "precision": self.precision,
            "explanation": self.explanation,
            "action": self.action,
            "enabled": self.enabled,
        }


# --- the YAML documents -------------------------------------------------------------------------------------


class RatingTolerance(BaseModel):
    """`rating:` of a profile: the largest notch distance still within tolerance."""

    model_config = _FROZEN

    notches: int = Field(default=0, ge=0)


class IdentityTolerance(BaseModel):
    """`identity:` of a profile: issuer-name similarity (0..1) above which another spelling is tolerated."""

    model_config = _FROZEN

    issuer_similarity: float = Field(default=1.0, ge=0, le=1)


class ProfileEntry(BaseModel):
    """One profile in tolerances.yaml: a tolerance per numeric field, the rating and identity rules."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    description: str = ""
    par_amount: FieldTolerance = FieldTolerance()
    price: FieldTolerance = FieldTolerance()
    market_value: FieldTolerance = FieldTolerance()
    accrued_interest: FieldTolerance = FieldTolerance()
    rating: RatingTolerance = RatingTolerance()
    identity: IdentityTolerance = IdentityTolerance()

    @field_validator("par_amount", "price", "market_value", "accrued_interest", "rating", "identity", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any) -> Any:
        return {} if value is None else value

    def profile(self, name: str) -> ToleranceProfile:
        """The entry as the named ToleranceProfile the engine uses."""
        return ToleranceProfile(
            name=name,
            description=self.description,
            fields={f: getattr(self, f) for f in NUMERIC_FIELDS},
            rating_notches=self.rating.notches,
            issuer_similarity=self.identity.issuer_similarity,
        )


class TolerancesFile(BaseModel):
    """tolerances.yaml: a non-empty `profiles:` mapping."""

    model_config = _FROZEN

    profiles: dict[str, ProfileEntry] = Field(min_length=1)


class AutoRulesFile(BaseModel):
    """auto_rules.yaml: a `rules:` list with unique ids (a rule's explanation defaults to its description)."""

    model_config = _FROZEN

    rules: list[AutoRule]

    @field_validator("rules", mode="before")
    @classmethod
    def _explanation_defaults_to_description(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [
            {**r, "explanation": r.get("description", "")} if isinstance(r, dict) and "explanation" not in r else r
            for r in value
        ]

    @model_validator(mode="after")
    def _unique_ids(self) -> AutoRulesFile:
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self


class MatchingFile(BaseModel):
    """matching.yaml: the identifiers tried, in order, to pair a statement row with a holding (each once)."""

    model_config = _FROZEN

    identifier_order: tuple[Identifier, ...] = Field(min_length=1)

    @field_validator("identifier_order")
    @classmethod
    def _each_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({v for v in value if value.count(v) > 1})
        if repeated:
            raise ValueError(f"identifiers listed more than once: {repeated}")
        return value


def parse_profiles(raw: Any, where: str = str(TOLERANCES_PATH)) -> dict[str, ToleranceProfile]:
    """Validate the tolerances document into profiles (InputError INVALID_TOLERANCE_CONFIG at `where: path`)."""
    document = load_model(TolerancesFile, raw, code=INVALID_TOLERANCE_CONFIG, where=where)
    return {name: body.profile(name) for name, body in document.profiles.items()}


def parse_rules(raw: Any, where: str = str(AUTO_RULES_PATH)) -> list[AutoRule]:
    """Validate the auto-rules document; ids must be unique and kinds known (InputError INVALID_AUTO_RULES)."""
    return load_model(AutoRulesFile, raw, code=INVALID_AUTO_RULES, where=where).rules


def parse_identifier_order(raw: Any, where: str = str(MATCHING_PATH)) -> tuple[str, ...]:
    """Validate the matching document: known identifiers, each once, at least one (INVALID_MATCHING_CONFIG)."""
    return load_model(MatchingFile, raw, code=INVALID_MATCHING_CONFIG, where=where).identifier_order


def load_identifier_order(path: Path = MATCHING_PATH) -> tuple[str, ...]:
    """The configured identifier matching order (assets_config/reconciliation/matching.yaml)."""
    return parse_identifier_order(read_yaml(path, code=INVALID_MATCHING_CONFIG), str(path))


def load_profiles(path: Path = TOLERANCES_PATH) -> dict[str, ToleranceProfile]:
    """Every tolerance profile in tolerances.yaml."""
    return parse_profiles(read_yaml(path, code=INVALID_TOLERANCE_CONFIG), str(path))


def load_rules(path: Path = AUTO_RULES_PATH) -> list[AutoRule]:
    """Every auto-resolution rule in auto_rules.yaml, in order."""
    return parse_rules(read_yaml(path, code=INVALID_AUTO_RULES), str(path))


def profile(name: str | None, profiles: dict[str, ToleranceProfile] | None = None) -> ToleranceProfile:
    """The named profile (default `default`); an unknown name is bad input listing the known ones."""
    known = profiles if profiles is not None else load_profiles()
    key = name or "default"
    if key not in known:
        raise InputError(
            "UNKNOWN_TOLERANCE_PROFILE",
            f"tolerance profile {key!r} is not defined; known: {sorted(known)}",
            str(TOLERANCES_PATH),
            {"known_profiles": sorted(known)},
        )
    return known[key]

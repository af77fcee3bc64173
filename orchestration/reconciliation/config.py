"""Tolerance profiles and auto-resolution rules, read from assets_config/reconciliation/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestration.core.errors import InputError
from orchestration.core.settings import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "assets_config" / "reconciliation"
TOLERANCES_PATH = CONFIG_DIR / "tolerances.yaml"
AUTO_RULES_PATH = CONFIG_DIR / "auto_rules.yaml"
NUMERIC_FIELDS: tuple[str, ...] = ("par_amount", "price", "market_value", "accrued_interest")
RULE_KINDS: tuple[str, ...] = ("difference_below", "pending_trade")


@dataclass(frozen=True)
class FieldTolerance:
    """Bounds for one numeric field: within when |difference| ≤ absolute or |difference_pct| ≤ percent."""

    absolute: float | None = None
    percent: float | None = None


@dataclass(frozen=True)
class ToleranceProfile:
    """A named set of tolerances (seed 000 `tolerance_profile`)."""

    name: str
    description: str = ""
    fields: dict[str, FieldTolerance] = field(default_factory=dict)
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


@dataclass(frozen=True)
class AutoRule:
    """One auto-resolution rule; its id is recorded on every variance it resolves."""

    id: str
    kind: str
    fields: tuple[str, ...]
    description: str = ""
    abs_below: float | None = None
    precision: float = 0.01
    explanation: str = ""
    action: str = "no_action_required"
    enabled: bool = True

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


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise InputError("INVALID_TOLERANCE_CONFIG", f"{value!r} is not a number", where) from error


def parse_profiles(raw: Any, where: str = str(TOLERANCES_PATH)) -> dict[str, ToleranceProfile]:
    """Validate the tolerances document into profiles."""
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict) or not raw["profiles"]:
        raise InputError("INVALID_TOLERANCE_CONFIG", "expected a non-empty `profiles:` mapping", where)
    profiles: dict[str, ToleranceProfile] = {}
    for name, body in raw["profiles"].items():
        spot = f"{where}: profiles.{name}"
        if not isinstance(body, dict):
            raise InputError("INVALID_TOLERANCE_CONFIG", "a profile is a mapping", spot)
        fields = {}
        for field_name in NUMERIC_FIELDS:
            spec = body.get(field_name) or {}
            fields[field_name] = FieldTolerance(
                absolute=_number(spec.get("absolute"), f"{spot}.{field_name}"),
                percent=_number(spec.get("percent"), f"{spot}.{field_name}"),
            )
        notches = (body.get("rating") or {}).get("notches", 0)
        similarity = (body.get("identity") or {}).get("issuer_similarity", 1.0)
        profiles[str(name)] = ToleranceProfile(
            name=str(name),
            description=str(body.get("description", "")),
            fields=fields,
            rating_notches=int(notches),
            issuer_similarity=float(similarity),
        )
    return profiles


def parse_rules(raw: Any, where: str = str(AUTO_RULES_PATH)) -> list[AutoRule]:
    """Validate the auto-rules document; ids must be unique and kinds known."""
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise InputError("INVALID_AUTO_RULES", "expected a `rules:` list", where)
    rules: list[AutoRule] = []
    for index, body in enumerate(raw["rules"]):
        spot = f"{where}: rules[{index}]"
        if not isinstance(body, dict) or not body.get("id") or body.get("kind") not in RULE_KINDS:
            raise InputError("INVALID_AUTO_RULES", f"each rule needs an id and a kind in {RULE_KINDS}", spot)
        if body["kind"] == "difference_below" and body.get("abs_below") is None:
            raise InputError("INVALID_AUTO_RULES", "difference_below needs abs_below", spot)
        rules.append(
            AutoRule(
                id=str(body["id"]),
                kind=str(body["kind"]),
                fields=tuple(body.get("fields") or ()),
                description=str(body.get("description", "")),
                abs_below=_number(body.get("abs_below"), spot),
                precision=float(body.get("precision", 0.01)),
                explanation=str(body.get("explanation", body.get("description", ""))),
                action=str(body.get("action", "no_action_required")),
                enabled=bool(body.get("enabled", True)),
            )
        )
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise InputError("INVALID_AUTO_RULES", "rule ids must be unique", where)
    return rules


def load_profiles(path: Path = TOLERANCES_PATH) -> dict[str, ToleranceProfile]:
    """Every tolerance profile in tolerances.yaml."""
    return parse_profiles(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


def load_rules(path: Path = AUTO_RULES_PATH) -> list[AutoRule]:
    """Every auto-resolution rule in auto_rules.yaml, in order."""
    return parse_rules(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


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

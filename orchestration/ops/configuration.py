"""The configuration the platform runs with, as documents: every assets_config/ file and the code's vocabulary.

Each domain validates its own YAML (`<domain>/config.py`); this module gathers the validated result, one
document per rule, profile, template or vocabulary entry, in the shape the API serves it. The ops/configuration
asset writes them to `ops.configuration` and dbt exposes them as `marts.configuration`, so the API serves the
configuration the pipeline validated and never reads a file or a domain module itself. Pure: no Dagster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic_core import to_jsonable_python

from orchestration.clo.formula_eval import supported_functions
from orchestration.clo.mapping import CANONICAL_FIELDS, load_aliases, load_profiles
from orchestration.compliance.alert_rules import load_config as load_alert_config
from orchestration.compliance.deal import all_test_definitions
from orchestration.compliance.deal_terms import PARAMETER_KEYS
from orchestration.compliance.registry import OTHER_INTERMEDIATES, STANDARD_TESTS
from orchestration.compliance.status import TREND_DEAD_BAND_PCT
from orchestration.core.settings import PROJECT_ROOT
from orchestration.equity.config import load_settings, load_tag_settings
from orchestration.equity.occ import POSITION_TYPES
from orchestration.ops.subscriptions import load_subscriptions
from orchestration.reconciliation import config as reconciliation_config
from orchestration.reports.config import load_templates

CONFIG_ROOT = PROJECT_ROOT / "assets_config"
PARTITION_KEY = "current"
"""The table's one partition: each materialization replaces every row at once."""
EVERY_TENANT = "*"
CODE = "code"
"""The `source` of a vocabulary entry the code defines (no file)."""
DEFAULT_INTERMEDIATES = "*"
"""The `compliance_intermediates` entry for a test without its own (a per-class OC test, a custom metric)."""

KINDS: tuple[str, ...] = (
    "alert_rule",
    "clo_alias_profile",
    "clo_canonical_field",
    "clo_formula_function",
    "clo_mapping_profile",
    "compliance_intermediates",
    "compliance_setting",
    "compliance_test",
    "equity_factor",
    "equity_position_type",
    "equity_setting",
    "equity_tag_color",
    "reconciliation_auto_rule",
    "reconciliation_tolerance_profile",
    "report_template",
    "webhook_subscription",
)
"""Every kind of document, the vocabulary of `ops.configuration.kind` (a dbt test accepts these only)."""


@dataclass(frozen=True)
class Document:
    """One configuration document: its kind, id, tenant scope, place in its kind and where it came from."""

    kind: str
    name: str
    document: dict[str, Any]
    source: str
    tenant_id: str = EVERY_TENANT
    position: int = 0


def config_sha256(root: Path = CONFIG_ROOT) -> str:
    """sha256 over every file under assets_config/ (relative path and bytes, sorted): the configuration's version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _ordered(kind: str, source: str, items: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[Document]:
    for position, (name, document) in enumerate(items):
        yield Document(kind, name, document, source, position=position)


def _clo() -> Iterator[Document]:
    yield from _ordered(
        "clo_mapping_profile", "assets_config/mappings", ((p.id, p.to_dict()) for p in load_profiles().values())
    )
    yield from _ordered(
        "clo_alias_profile", "assets_config/mappings/aliases", ((n, a.to_dict()) for n, a in load_aliases().items())
    )
    yield from _ordered("clo_canonical_field", CODE, ((f, {"name": f}) for f in CANONICAL_FIELDS))
    yield from _ordered("clo_formula_function", CODE, sorted(supported_functions().items()))


def _test_definition(test: dict[str, Any]) -> dict[str, Any]:
    """A profile's test definition as `/compliance/tests` lists it (defaults filled as the engine fills them)."""
    standard = STANDARD_TESTS.get(str(test["id"]))
    classes = test.get("denominator_classes") or []
    return {
        "profile_id": test["profile_id"],
        "id": str(test["id"]),
        "name": str(test.get("name") or test["id"]),
        "category": str(test.get("category") or (standard.category if standard else "custom")),
        "direction": str(test.get("direction") or (standard.direction if standard else "")),
        "unit": str(test.get("unit") or (standard.unit if standard else "")),
        "denominator_classes": [c.strip() for c in classes.split(",")] if isinstance(classes, str) else list(classes),
        "trigger_level": float(test["trigger_level"]),
        "target_level": float(test.get("target_level", test["trigger_level"])),
        "metric": test.get("metric"),
        **{k: test[k] for k in PARAMETER_KEYS if test.get(k) is not None},
    }


def _compliance() -> Iterator[Document]:
    rules = load_alert_config().rules
    for position, rule in enumerate(rules):
        scope = rule.tenant_id if rule.tenant_id not in (None, EVERY_TENANT) else EVERY_TENANT
        yield Document("alert_rule", rule.id, rule.as_dict(), "assets_config/alerts", str(scope), position)
    definitions = [_test_definition(d) for d in all_test_definitions()]
    yield from _ordered(
        "compliance_test", "assets_config/compliance", ((f"{d['profile_id']}/{d['id']}", d) for d in definitions)
    )
    intermediates = [(test_id, list(test.intermediates)) for test_id, test in STANDARD_TESTS.items()]
    intermediates.append((DEFAULT_INTERMEDIATES, list(OTHER_INTERMEDIATES)))
    yield from _ordered("compliance_intermediates", CODE, ((n, {"intermediates": i}) for n, i in intermediates))
    yield Document("compliance_setting", "trend_dead_band_pct", {"value": TREND_DEAD_BAND_PCT}, CODE)


def _equity() -> Iterator[Document]:
    settings = load_settings()
    factors = ((f.name, {"name": f.name, "etf": f.etf}) for f in settings.factors)
    yield from _ordered("equity_factor", "assets_config/factors.yaml", factors)
    yield Document("equity_setting", "factors", settings.model_dump(mode="json"), "assets_config/factors.yaml")
    colors = sorted(load_tag_settings().colors.items())
    yield from _ordered("equity_tag_color", "assets_config/tags.yaml", ((t, {"color": c}) for t, c in colors))
    yield from _ordered("equity_position_type", CODE, ((t, {"name": t}) for t in POSITION_TYPES))


def _reconciliation() -> Iterator[Document]:
    reconciliation_config.load_identifier_order()  # validated like the rest; served with the matching docs later
    profiles = reconciliation_config.load_profiles()
    yield from _ordered(
        "reconciliation_tolerance_profile",
        "assets_config/reconciliation/tolerances.yaml",
        ((name, p.as_dict()) for name, p in profiles.items()),
    )
    rules = reconciliation_config.load_rules()
    yield from _ordered(
        "reconciliation_auto_rule", "assets_config/reconciliation/auto_rules.yaml", ((r.id, r.as_dict()) for r in rules)
    )


def _reports() -> Iterator[Document]:
    templates = load_templates()
    yield from _ordered(
        "report_template", "assets_config/reports", ((t, tpl.as_dict()) for t, tpl in templates.items())
    )


def _webhooks() -> Iterator[Document]:
    """Every webhook subscription but an alert rule's (the rule is its document), without its secret."""
    published = [s for s in load_subscriptions() if s.rule_id is None]
    for position, subscription in enumerate(published):
        source = subscription.source.partition(":")[0]
        yield Document(
            "webhook_subscription", subscription.id, subscription.document(), source, subscription.tenant_id, position
        )


def documents() -> list[Document]:
    """Every configuration document, each domain's files validated by its own loader (a ConfigError otherwise)."""
    return [*_clo(), *_compliance(), *_equity(), *_reconciliation(), *_reports(), *_webhooks()]


def configuration_frame(docs: Iterable[Document], sha256: str) -> pd.DataFrame:
    """The rows of `ops.configuration`, documents made JSON-safe (dates as ISO text, tuples as lists)."""
    rows = [
        {
            "tenant_id": d.tenant_id,
            "kind": d.kind,
            "name": d.name,
            "position": d.position,
            "document": to_jsonable_python(d.document),
            "source": d.source,
            "config_sha256": sha256,
        }
        for d in docs
    ]
    columns = ["tenant_id", "kind", "name", "position", "document", "source", "config_sha256"]
    return pd.DataFrame(rows, columns=columns)

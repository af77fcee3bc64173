"""Alert rules (assets_config/alerts/*.yaml, seed 000 shape), their evaluation, cooldowns and email.

A rule's `metric` names a test id (its current value), `<test_id>.cushion` / `<test_id>.cushion_pct`, or
any scalar intermediate of the workbook's metrics (e.g. `ccc_pct`, `warf`). Webhook subscriptions for the
compliance.failed / compliance.warning events live in the same files under `webhooks`.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

from orchestration.compliance.deal import PROJECT_ROOT
from orchestration.core.errors import InputError

ALERTS_CONFIG_DIR = PROJECT_ROOT / "assets_config" / "alerts"
OPERATORS = {
    "less_than": lambda v, t: v < t,
    "less_than_or_equal": lambda v, t: v <= t,
    "greater_than": lambda v, t: v > t,
    "greater_than_or_equal": lambda v, t: v >= t,
    "equals": lambda v, t: v == t,
    "not_equals": lambda v, t: v != t,
}
SEVERITIES = ("info", "warning", "critical")
CHANNELS = ("email", "webhook")
EVENTS = ("compliance.failed", "compliance.warning")


@dataclass(frozen=True)
class AlertRule:
    """One alert configuration (seed 000 Alert Configuration Request) plus optional tenant/deal scope."""

    id: str
    name: str
    description: str
    metric: str
    operator: str
    threshold: float
    severity: str
    channels: tuple[str, ...]
    recipients: tuple[str, ...]
    webhook_url: str | None
    webhook_secret_env: str | None
    cooldown_minutes: float
    enabled: bool
    tenant_id: str | None = None
    deal_id: str | None = None

    def applies_to(self, tenant_id: str, deal_id: str) -> bool:
        """Enabled and in scope (no scope = every tenant / deal)."""
        return self.enabled and self.tenant_id in (None, "*", tenant_id) and self.deal_id in (None, "*", deal_id)

    def as_dict(self) -> dict[str, Any]:
        """The seed's shape (secrets never included)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "condition": {"metric": self.metric, "operator": self.operator, "threshold": self.threshold},
            "severity": self.severity,
            "channels": list(self.channels),
            "recipients": list(self.recipients),
            "webhook_url": self.webhook_url,
            "cooldown_minutes": self.cooldown_minutes,
            "enabled": self.enabled,
            "tenant_id": self.tenant_id,
            "deal_id": self.deal_id,
        }


@dataclass(frozen=True)
class WebhookSubscription:
    """Where compliance.failed / compliance.warning events go."""

    id: str
    url: str
    events: tuple[str, ...]
    secret_env: str | None
    tenant_id: str | None = None


@dataclass(frozen=True)
class AlertConfig:
    """Every rule and webhook subscription."""

    rules: tuple[AlertRule, ...]
    webhooks: tuple[WebhookSubscription, ...]


def _rule(raw: Mapping[str, Any], where: str) -> AlertRule:
    condition = raw.get("condition") or {}
    operator = str(condition.get("operator") or "")
    if operator not in OPERATORS:
        raise InputError("ALERT_RULE_INVALID", f"operator must be one of {sorted(OPERATORS)}", f"{where}.condition")
    severity = str(raw.get("severity") or "warning")
    if severity not in SEVERITIES:
        raise InputError("ALERT_RULE_INVALID", f"severity must be one of {SEVERITIES}", f"{where}.severity")
    channels = tuple(raw.get("channels") or ())
    if any(c not in CHANNELS for c in channels):
        raise InputError("ALERT_RULE_INVALID", f"channels must be among {CHANNELS}", f"{where}.channels")
    if "webhook" in channels and not raw.get("webhook_url"):
        raise InputError("ALERT_RULE_INVALID", "a webhook channel needs webhook_url", f"{where}.webhook_url")
    try:
        threshold = float(condition["threshold"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError("ALERT_RULE_INVALID", "threshold must be a number", f"{where}.condition.threshold") from exc
    return AlertRule(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or raw.get("id") or ""),
        description=str(raw.get("description") or ""),
        metric=str(condition.get("metric") or ""),
        operator=operator,
        threshold=threshold,
        severity=severity,
        channels=channels,
        recipients=tuple(str(r) for r in raw.get("recipients") or ()),
        webhook_url=raw.get("webhook_url"),
        webhook_secret_env=raw.get("webhook_secret_env"),
        cooldown_minutes=float(raw.get("cooldown_minutes", 60)),
        enabled=bool(raw.get("enabled", True)),
        tenant_id=raw.get("tenant_id"),
        deal_id=raw.get("deal_id"),
    )


def parse_config(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> AlertConfig:
    """Rules and webhooks from parsed YAML documents (name, content); ids must be unique."""
    rules: list[AlertRule] = []
    hooks: list[WebhookSubscription] = []
    for name, doc in documents:
        for i, raw in enumerate(doc.get("rules") or []):
            rules.append(_rule(raw, f"{name}:rules[{i}]"))
        for i, raw in enumerate(doc.get("webhooks") or []):
            events = tuple(raw.get("events") or EVENTS)
            if any(e not in EVENTS for e in events) or not raw.get("url"):
                raise InputError(
                    "ALERT_WEBHOOK_INVALID", "a webhook needs a url and known events", f"{name}:webhooks[{i}]"
                )
            hooks.append(
                WebhookSubscription(
                    id=str(raw.get("id") or f"{name}-{i}"),
                    url=str(raw["url"]),
                    events=events,
                    secret_env=raw.get("secret_env"),
                    tenant_id=raw.get("tenant_id"),
                )
            )
    ids = [r.id for r in rules]
    if any(not i for i in ids) or len(set(ids)) != len(ids):
        raise InputError("ALERT_RULE_INVALID", "every rule needs a unique id", "assets_config/alerts")
    return AlertConfig(tuple(rules), tuple(hooks))


def load_config(config_dir: Path = ALERTS_CONFIG_DIR) -> AlertConfig:
    """Every *.yaml under assets_config/alerts."""
    docs = []
    for path in sorted(config_dir.glob("*.y*ml")):
        docs.append((path.name, yaml.safe_load(path.read_text(encoding="utf-8")) or {}))
    return parse_config(docs)


def resolve_metric(metric: str, tests: Mapping[str, Mapping[str, Any]], metrics: Mapping[str, Any]) -> float | None:
    """A rule's value: test current value, `<test>.cushion(_pct)`, or a scalar intermediate."""
    test_id, _, attr = metric.partition(".")
    value = tests[test_id].get(attr or "current_value") if test_id in tests else metrics.get(metric)
    return None if value is None or isinstance(value, dict | list | str) else float(value)


def condition_met(rule: AlertRule, value: float | None) -> bool:
    """The rule's comparison; a missing value never fires."""
    return value is not None and bool(OPERATORS[rule.operator](value, rule.threshold))


def in_cooldown(rule: AlertRule, last_fired_at: dt.datetime | None, now: dt.datetime) -> bool:
    """True while less than `cooldown_minutes` have passed since the rule last fired for this deal."""
    return last_fired_at is not None and now - last_fired_at < dt.timedelta(minutes=rule.cooldown_minutes)


def secret_for(env_name: str | None) -> str | None:
    """A webhook secret from the environment (never stored in config files)."""
    return os.environ.get(env_name) if env_name else None


def send_email(recipients: Sequence[str], subject: str, body: str) -> dict[str, Any]:
    """Email through SMTP when CALCBRIDGE_SMTP_HOST is set; otherwise recorded as skipped."""
    host = os.environ.get("CALCBRIDGE_SMTP_HOST")
    if not host:
        return {"channel": "email", "status": "skipped", "error": "SMTP not configured", "attempts": 0}
    if not recipients:
        return {"channel": "email", "status": "skipped", "error": "no recipients", "attempts": 0}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = os.environ.get("CALCBRIDGE_SMTP_FROM", "calcbridge@localhost")
    message["To"] = ", ".join(recipients)
    message.set_content(body)
    try:
        with smtplib.SMTP(host, int(os.environ.get("CALCBRIDGE_SMTP_PORT", "25")), timeout=10) as smtp:
            user = os.environ.get("CALCBRIDGE_SMTP_USER")
            if user:
                smtp.starttls()
                smtp.login(user, os.environ.get("CALCBRIDGE_SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return {"channel": "email", "status": "failed", "error": f"{type(exc).__name__}: {exc}", "attempts": 1}
    return {"channel": "email", "status": "delivered", "error": None, "attempts": 1}

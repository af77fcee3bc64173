"""Alert rules (assets_config/alerts/*.yaml, seed 000 shape), their evaluation, cooldowns and email.

A rule's `metric` names a test id (its current value), `<test_id>.cushion` / `<test_id>.cushion_pct`, or
any scalar intermediate of the workbook's metrics (e.g. `ccc_pct`, `warf`). Webhook subscriptions for the
compliance.failed / compliance.warning events live in the same files under `webhooks`. A rule's webhook and
those subscriptions are delivered by the one webhook machinery (ops/subscriptions.py, ops/deliveries.py).
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

from orchestration.compliance.config import (
    ALERT_RULE_INVALID,
    ALERTS_CONFIG_DIR,
    AlertRuleEntry,
    alert_documents,
    parse_alerts_document,
)
from orchestration.core.config import ConfigError

OPERATORS = {
    "less_than": lambda v, t: v < t,
    "less_than_or_equal": lambda v, t: v <= t,
    "greater_than": lambda v, t: v > t,
    "greater_than_or_equal": lambda v, t: v >= t,
    "equals": lambda v, t: v == t,
    "not_equals": lambda v, t: v != t,
}


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
    """Where compliance.failed / compliance.warning events go (an `ops.subscriptions.Subscription` once loaded)."""

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


def _rule(entry: AlertRuleEntry) -> AlertRule:
    """The engine's rule from a validated entry (name defaults to the id)."""
    return AlertRule(
        id=entry.id,
        name=entry.name or entry.id,
        description=entry.description,
        metric=entry.condition.metric,
        operator=entry.condition.operator,
        threshold=entry.condition.threshold,
        severity=entry.severity,
        channels=tuple(entry.channels),
        recipients=entry.recipients,
        webhook_url=entry.webhook_url,
        webhook_secret_env=entry.webhook_secret_env,
        cooldown_minutes=entry.cooldown_minutes,
        enabled=entry.enabled,
        tenant_id=entry.tenant_id,
        deal_id=entry.deal_id,
    )


def parse_config(documents: Sequence[tuple[str, Any]]) -> AlertConfig:
    """Rules and webhooks from parsed YAML documents (name, content), validated by compliance.config; ids unique."""
    rules: list[AlertRule] = []
    hooks: list[WebhookSubscription] = []
    for name, document in documents:
        entries, webhooks = parse_alerts_document(name, document)
        rules += [_rule(entry) for entry in entries]
        hooks += [
            WebhookSubscription(
                id=hook.id or f"{name}-{i}",
                url=hook.url,
                events=tuple(hook.events),
                secret_env=hook.secret_env,
                tenant_id=hook.tenant_id,
            )
            for i, hook in enumerate(webhooks)
        ]
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        message = f"rule ids must be unique; repeated: {duplicated}"
        raise ConfigError(ALERT_RULE_INVALID, message, "assets_config/alerts")
    return AlertConfig(tuple(rules), tuple(hooks))


def load_config(config_dir: Path = ALERTS_CONFIG_DIR) -> AlertConfig:
    """Every *.yaml under assets_config/alerts."""
    return parse_config(alert_documents(config_dir))


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

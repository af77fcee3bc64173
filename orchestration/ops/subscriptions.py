"""Webhook subscriptions: `assets_config/webhooks/*.yaml`, and the alert rules' webhooks as subscribers too.

A file lists `subscriptions:`, each `{id, tenant_id, url, secret_env, events, enabled}`: the tenant whose events
it receives, where they are posted, the name of the environment variable that holds the HMAC secret (never the
secret itself), and seed 000 event types. An alert rule with a `webhook` channel is a subscription to
`alert.triggered` of that rule only (id = the rule id); an alerts file's `webhooks:` entries subscribe to
compliance.failed / compliance.warning. Every subscriber is delivered by the same machinery (ops/deliveries.py).
Errors are typed and name the file and the key. Pure: no Dagster.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from orchestration.compliance.alert_rules import AlertConfig
from orchestration.compliance.alert_rules import load_config as load_alert_config
from orchestration.core.config import ConfigError, load_model, read_yaml
from orchestration.core.events import EVENT_TYPES
from orchestration.core.settings import PROJECT_ROOT, TENANT_PATTERN

WEBHOOKS_CONFIG_DIR = PROJECT_ROOT / "assets_config" / "webhooks"
WEBHOOK_SUBSCRIPTION_INVALID = "WEBHOOK_SUBSCRIPTION_INVALID"
WEBHOOK_SECRET_MISSING = "WEBHOOK_SECRET_MISSING"  # noqa: S105  (an error code)
EVERY_TENANT = "*"
"""The tenant of an alert rule's (or an alerts file's) webhook without a tenant scope: every tenant's events."""
WEBHOOK_JOB_NAME = "webhook_delivery_job"
"""The job that delivers one event to one subscription; a dlq.item_added of one of its runs is never delivered."""

_HTTP_URL = TypeAdapter(AnyHttpUrl)


def _event_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise ValueError(f"unknown event type {value!r}; expected one of {list(EVENT_TYPES)}")
    return value


def _http_url(value: str) -> str:
    """An absolute http(s) URL with a host, kept as written (the receiver sees exactly this URL)."""
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        raise ValueError(f"{value!r} is not an absolute http(s) URL") from None
    return value


EventType = Annotated[str, AfterValidator(_event_type)]


class SubscriptionEntry(BaseModel):
    """One subscription in a webhooks file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    tenant_id: str = Field(pattern=TENANT_PATTERN.pattern)
    url: Annotated[str, AfterValidator(_http_url)]
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Variable holding the HMAC secret.")
    events: tuple[EventType, ...] = Field(min_length=1)
    enabled: bool = True


class WebhooksFile(BaseModel):
    """A webhooks file: `subscriptions:` and nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscriptions: list[SubscriptionEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Subscription:
    """Where one tenant's events of some types go; `rule_id` narrows alert.triggered to one alert rule."""

    id: str
    tenant_id: str
    url: str
    events: tuple[str, ...]
    enabled: bool
    source: str
    """Where it is configured: `<file>:subscriptions[i]`, or the alert rule / alerts-file entry."""
    secret_env: str | None
    secret_required: bool = True
    rule_id: str | None = None

    def matches(self, tenant_id: str, event_type: str, data: Mapping[str, Any]) -> bool:
        """Enabled, this tenant's (or every tenant's), a subscribed type, this rule's alert; no delivery's DLQ item.

        A dlq.item_added announcing a failed webhook delivery run is delivered to no subscription: a receiver
        that is down would otherwise be sent one more failing delivery per failure, without end.
        """
        if not self.enabled or event_type not in self.events or self.tenant_id not in (EVERY_TENANT, tenant_id):
            return False
        if self.rule_id is not None and event_type == "alert.triggered" and data.get("rule_id") != self.rule_id:
            return False
        task_args = data.get("task_args") if event_type == "dlq.item_added" else None
        return not (isinstance(task_args, Mapping) and task_args.get("job_name") == WEBHOOK_JOB_NAME)

    def secret(self, environ: Mapping[str, str] = os.environ) -> str | None:
        """The HMAC secret from the environment; a subscription file's missing variable is a typed error."""
        value = environ.get(self.secret_env) if self.secret_env else None
        if value or not self.secret_required:
            return value or None
        message = f"the environment variable {self.secret_env!r} holding the signing secret is not set"
        raise ConfigError(WEBHOOK_SECRET_MISSING, message, f"{self.source}.secret_env")

    def document(self) -> dict[str, Any]:
        """What ops.configuration publishes (kind webhook_subscription): never the secret, nor its variable."""
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "url": self.url,
            "events": list(self.events),
            "enabled": self.enabled,
            "signed": self.secret_env is not None,
            "rule_id": self.rule_id,
        }


def _relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix() if path.is_relative_to(PROJECT_ROOT) else str(path)


def parse_file(where: str, document: Any) -> list[Subscription]:
    """One webhooks file's subscriptions (an empty file has none); errors at `<file>:subscriptions[i].<key>`."""
    parsed = load_model(WebhooksFile, document or {}, code=WEBHOOK_SUBSCRIPTION_INVALID, where=where, separator=":")
    return [
        Subscription(
            id=entry.id,
            tenant_id=entry.tenant_id,
            url=entry.url,
            events=tuple(entry.events),
            enabled=entry.enabled,
            source=f"{where}:subscriptions[{i}]",
            secret_env=entry.secret_env,
        )
        for i, entry in enumerate(parsed.subscriptions)
    ]


def file_subscriptions(config_dir: Path | None = None) -> list[Subscription]:
    """Every subscription of every `*.yaml` / `*.yml` under assets_config/webhooks, by file name."""
    folder = WEBHOOKS_CONFIG_DIR if config_dir is None else config_dir
    found: list[Subscription] = []
    for path in sorted(folder.glob("*.y*ml")):
        found += parse_file(_relative(path), read_yaml(path, code=WEBHOOK_SUBSCRIPTION_INVALID))
    return found


def alert_subscriptions(config: AlertConfig) -> list[Subscription]:
    """The alerts files' subscribers: each webhook-channel rule (its alert.triggered), each `webhooks:` entry."""
    rules = [
        Subscription(
            id=rule.id,
            tenant_id=rule.tenant_id or EVERY_TENANT,
            url=rule.webhook_url,
            events=("alert.triggered",),
            enabled=rule.enabled,
            source=f"assets_config/alerts:rules[id={rule.id}]",
            secret_env=rule.webhook_secret_env,
            secret_required=False,
            rule_id=rule.id,
        )
        for rule in config.rules
        if "webhook" in rule.channels and rule.webhook_url
    ]
    hooks = [
        Subscription(
            id=hook.id,
            tenant_id=hook.tenant_id or EVERY_TENANT,
            url=hook.url,
            events=hook.events,
            enabled=True,
            source=f"assets_config/alerts:webhooks[id={hook.id}]",
            secret_env=hook.secret_env,
            secret_required=False,
        )
        for hook in config.webhooks
    ]
    return rules + hooks


def unique(subscriptions: Sequence[Subscription]) -> tuple[Subscription, ...]:
    """The subscriptions, each id once (a delivery names its subscription by id); a repeated id is typed."""
    seen: dict[str, Subscription] = {}
    for subscription in subscriptions:
        first = seen.setdefault(subscription.id, subscription)
        if first is not subscription:
            message = f"subscription id {subscription.id!r} is already used at {first.source}"
            raise ConfigError(WEBHOOK_SUBSCRIPTION_INVALID, message, f"{subscription.source}.id")
    return tuple(seen.values())


def load_subscriptions(
    config_dir: Path | None = None, alert_config: AlertConfig | None = None
) -> tuple[Subscription, ...]:
    """Every subscriber: the webhooks files' subscriptions, then the alerts files' rules and webhooks."""
    alerts = load_alert_config() if alert_config is None else alert_config
    return unique([*file_subscriptions(config_dir), *alert_subscriptions(alerts)])


def find(subscriptions: Sequence[Subscription], webhook_id: str) -> Subscription | None:
    """The subscription with this id, if configured."""
    return next((s for s in subscriptions if s.id == webhook_id), None)

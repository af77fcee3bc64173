"""Webhook subscriptions: assets_config/webhooks/*.yaml validated (typed errors naming the file and the key),
the alert rules' webhooks as subscribers, matching (tenant, type, rule, the DLQ loop guard) and publication in
ops.configuration without secrets."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from orchestration.compliance.alert_rules import parse_config
from orchestration.core.config import ConfigError
from orchestration.core.events import EVENT_TYPES
from orchestration.core.resources import WarehouseResource
from orchestration.core.settings import PROJECT_ROOT
from orchestration.ops import subscriptions
from orchestration.ops.assets import configuration
from orchestration.ops.tables import configuration as configuration_table

WEBHOOKS = PROJECT_ROOT / "assets_config" / "webhooks"
NO_ALERTS = parse_config([])


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def _entry(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "hook-a",
        "tenant_id": "acme",
        "url": "https://receiver.example.com/calcbridge",
        "secret_env": "HOOK_A_SECRET",
        "events": ["compliance.failed"],
    }
    entry.update(overrides)
    return entry


def _error(tmp_path: Path, entry: dict[str, object]) -> ConfigError:
    folder = _write(tmp_path / "webhooks", "bad.yaml", yaml.safe_dump({"subscriptions": [_entry(), entry]}))
    with pytest.raises(ConfigError) as info:
        subscriptions.load_subscriptions(folder, NO_ALERTS)
    return info.value


def test_the_shipped_files_validate_and_post_nowhere() -> None:
    """The demo must not post anywhere: every shipped subscription is disabled or aims at a reserved domain."""
    raw = [s for p in sorted(WEBHOOKS.glob("*.yaml")) for s in yaml.safe_load(p.read_text())["subscriptions"]]
    loaded = subscriptions.file_subscriptions()
    assert [s.id for s in loaded] == [s["id"] for s in raw]
    assert raw, "the example subscription documents the format"
    for subscription in loaded:
        host = urlparse(subscription.url).hostname or ""
        assert not subscription.enabled or host.endswith(".invalid"), subscription.id
        assert set(subscription.events) <= set(EVENT_TYPES)


def test_an_unknown_event_type_names_the_file_and_key(tmp_path: Path) -> None:
    error = _error(tmp_path, _entry(id="hook-b", events=["compliance.failed", "compliance.passed"]))
    assert (error.code, error.where) == (
        "WEBHOOK_SUBSCRIPTION_INVALID",
        f"{tmp_path}/webhooks/bad.yaml:subscriptions[1].events[1]",
    )
    assert "compliance.passed" in error.message


@pytest.mark.parametrize("url", ["not a url", "ftp://files.example.com/x", "/relative/path", "https://"])
def test_a_bad_url_names_the_file_and_key(tmp_path: Path, url: str) -> None:
    error = _error(tmp_path, _entry(id="hook-b", url=url))
    assert (error.code, error.where) == (
        "WEBHOOK_SUBSCRIPTION_INVALID",
        f"{tmp_path}/webhooks/bad.yaml:subscriptions[1].url",
    )


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        (_entry(id="hook-b", tenant_id="Not A Tenant"), "tenant_id"),
        (_entry(id="hook-b", events=[]), "events"),
        (_entry(id="hook-b", secret_env="not-a-variable"), "secret_env"),
        ({k: v for k, v in _entry(id="hook-b").items() if k != "secret_env"}, "secret_env"),
        (_entry(id="hook-b", extra=True), "extra"),
    ],
)
def test_other_bad_keys_name_the_file_and_key(tmp_path: Path, entry: dict[str, object], key: str) -> None:
    error = _error(tmp_path, entry)
    assert error.where == f"{tmp_path}/webhooks/bad.yaml:subscriptions[1].{key}"


def test_a_repeated_id_is_typed_even_across_an_alert_rule(tmp_path: Path) -> None:
    error = _error(tmp_path, _entry())
    assert (error.code, error.where) == (
        "WEBHOOK_SUBSCRIPTION_INVALID",
        f"{tmp_path}/webhooks/bad.yaml:subscriptions[1].id",
    )
    folder = _write(tmp_path / "clash", "a.yaml", yaml.safe_dump({"subscriptions": [_entry(id="oc-hook")]}))
    rules = parse_config(
        [("alerts.yaml", {"rules": [{"id": "oc-hook", "condition": {"metric": "oc", "operator": "less_than",
          "threshold": 1}, "channels": ["webhook"], "webhook_url": "https://hooks.example.com/x"}]})]
    )  # fmt: skip
    with pytest.raises(ConfigError, match="already used at"):
        subscriptions.load_subscriptions(folder, rules)


def test_a_missing_secret_variable_is_typed_at_delivery_naming_the_file_and_key(tmp_path: Path) -> None:
    folder = _write(tmp_path / "webhooks", "a.yaml", yaml.safe_dump({"subscriptions": [_entry()]}))
    (hook,) = subscriptions.load_subscriptions(folder, NO_ALERTS)
    with pytest.raises(ConfigError) as info:
        hook.secret({})
    assert (info.value.code, info.value.where) == (
        "WEBHOOK_SECRET_MISSING",
        f"{folder}/a.yaml:subscriptions[0].secret_env",
    )
    assert "HOOK_A_SECRET" in info.value.message
    assert hook.secret({"HOOK_A_SECRET": "s"}) == "s"


def test_alert_rules_and_alert_file_hooks_are_subscribers(tmp_path: Path) -> None:
    alerts = parse_config(
        [("alerts.yaml", {
            "rules": [
                {"id": "oc-hook", "condition": {"metric": "oc", "operator": "less_than", "threshold": 1},
                 "channels": ["webhook", "email"], "webhook_url": "https://hooks.example.com/oc", "tenant_id": "acme"},
                {"id": "mail-only", "condition": {"metric": "oc", "operator": "less_than", "threshold": 1},
                 "channels": ["email"]},
            ],
            "webhooks": [{"id": "legacy", "url": "https://hooks.example.com/c", "events": ["compliance.warning"]}],
        })]
    )  # fmt: skip
    found = {s.id: s for s in subscriptions.load_subscriptions(tmp_path, alerts)}
    assert set(found) == {"oc-hook", "legacy"}
    rule, legacy = found["oc-hook"], found["legacy"]
    assert (rule.events, rule.rule_id, rule.tenant_id, rule.secret({})) == (
        ("alert.triggered",),
        "oc-hook",
        "acme",
        None,
    )
    assert rule.matches("acme", "alert.triggered", {"rule_id": "oc-hook"})
    assert not rule.matches("acme", "alert.triggered", {"rule_id": "mail-only"})  # another rule's firing
    assert not rule.matches("globex", "alert.triggered", {"rule_id": "oc-hook"})  # another tenant's
    assert (legacy.events, legacy.tenant_id) == (("compliance.warning",), "*")
    assert legacy.matches("globex", "compliance.warning", {})
    assert not legacy.matches("globex", "compliance.failed", {})


def test_matching_is_per_tenant_and_type_and_never_a_deliverys_dead_letter(tmp_path: Path) -> None:
    entries = [_entry(events=["dlq.item_added", "workbook.updated"]), _entry(id="off", enabled=False)]
    folder = _write(tmp_path / "webhooks", "a.yaml", yaml.safe_dump({"subscriptions": entries}))
    hook, off = subscriptions.load_subscriptions(folder, NO_ALERTS)
    assert hook.matches("acme", "workbook.updated", {})
    assert not hook.matches("globex", "workbook.updated", {})
    assert not hook.matches("acme", "compliance.failed", {})
    assert not off.matches("acme", "compliance.failed", {})
    landing_run = {"task_args": {"job_name": "clo_files_job", "tenant_id": "acme"}}
    delivery_run = {"task_args": {"job_name": "webhook_delivery_job", "tenant_id": "acme"}}
    assert hook.matches("acme", "dlq.item_added", landing_run)
    assert not hook.matches("acme", "dlq.item_added", delivery_run)


def test_the_configuration_publishes_subscriptions_without_secrets(platform, monkeypatch) -> None:
    """Each shipped subscription is an ops.configuration row, with neither its secret nor its variable's name."""
    monkeypatch.setenv("CALCBRIDGE_WEBHOOK_SECRET_EXAMPLE", "do-not-publish-me")
    result = dg.materialize([configuration], instance=platform.instance, resources={"warehouse": WarehouseResource()})
    assert result.success
    t = configuration_table
    with platform.warehouse.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.name, t.c.tenant_id, t.c.document, t.c.source).where(t.c.kind == "webhook_subscription")
        ).all()
        everything = str(conn.execute(sa.select(t.c.document)).scalars().all())
    assert "do-not-publish-me" not in everything
    raw = [s for p in sorted(WEBHOOKS.glob("*.yaml")) for s in yaml.safe_load(p.read_text())["subscriptions"]]
    assert {(r.name, r.tenant_id) for r in rows} == {(s["id"], s["tenant_id"]) for s in raw}
    for row in rows:
        entry = next(s for s in raw if s["id"] == row.name)
        assert row.source.startswith("assets_config/webhooks/")
        assert row.document == {"id": entry["id"], "tenant_id": entry["tenant_id"], "url": entry["url"],
                                "events": entry["events"], "enabled": entry.get("enabled", True), "signed": True,
                                "rule_id": None}  # fmt: skip
        assert entry["secret_env"] not in str(row.document)

"""Evaluate alert rules and record status-change events for one workbook's compliance results.

Called by the alert job the sensor launches after `clo/compliance_results` materializes (and by tests).
Every firing is recorded in ops.alert_history together with its `alert.triggered` event in the outbox
(ops.events, one transaction): the webhook channel is delivered from there by the one webhook machinery
(ops/deliveries.py, which writes back how it went), email is sent here. Rules in cooldown for the same deal do
not fire. Status changes to failed / warning are recorded once per (partition, test) in ops.compliance_events;
their webhooks are the outbox's compliance.failed / compliance.warning events, delivered the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from orchestration.compliance import tables
from orchestration.compliance.alert_rules import AlertConfig, condition_met, in_cooldown, resolve_metric, send_email
from orchestration.core import events


@dataclass
class AlertOutcome:
    """What one evaluation did."""

    fired: list[dict[str, Any]] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _latest_results(engine: Engine, tenant_id: str, partition_key: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    r, m = tables.compliance_results, tables.compliance_metrics
    with engine.connect() as conn:
        rows = [
            dict(x)
            for x in conn.execute(
                sa.select(r)
                .where(r.c.tenant_id == tenant_id, r.c.partition_key == partition_key)
                .order_by(r.c.sort_order)
            ).mappings()
        ]
        metrics = conn.execute(
            sa.select(m.c.metrics).where(m.c.tenant_id == tenant_id, m.c.partition_key == partition_key)
        ).scalar()
    return rows, metrics or {}


def _previous_status(engine: Engine, tenant_id: str, deal_id: str, test_id: str, before: dt.date) -> str | None:
    r = tables.compliance_results
    query = (
        sa.select(r.c.status)
        .where(r.c.tenant_id == tenant_id, r.c.deal_id == deal_id, r.c.test_id == test_id, r.c.report_date < before)
        .order_by(r.c.report_date.desc(), r.c.executed_at.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def _last_fired(engine: Engine, tenant_id: str, rule_id: str, deal_id: str) -> dt.datetime | None:
    h = tables.alert_history
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.max(h.c.fired_at)).where(
                h.c.tenant_id == tenant_id, h.c.rule_id == rule_id, h.c.deal_id == deal_id
            )
        ).scalar()


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def process_partition(
    engine: Engine,
    tenant_id: str,
    partition_key: str,
    config: AlertConfig,
    *,
    now: dt.datetime | None = None,
) -> AlertOutcome:
    """Evaluate every rule in scope (a firing and its alert.triggered event) and record tests whose status changed."""
    now = now or dt.datetime.now(dt.UTC)
    outcome = AlertOutcome()
    rows, metrics = _latest_results(engine, tenant_id, partition_key)
    if not rows:
        return outcome
    workbook_id, deal_id, report_date = rows[0]["workbook_id"], rows[0]["deal_id"], rows[0]["report_date"]
    tests = {
        row["test_id"]: {
            "current_value": _num(row["current_value"]),
            "cushion": _num(row["cushion"]),
            "cushion_pct": _num(row["cushion_pct"]),
            "status": row["status"],
        }
        for row in rows
    }
    for rule in config.rules:
        if not rule.applies_to(tenant_id, deal_id):
            continue
        value = resolve_metric(rule.metric, tests, metrics)
        if not condition_met(rule, value):
            continue
        if in_cooldown(rule, _last_fired(engine, tenant_id, rule.id, deal_id), now):
            outcome.suppressed.append(rule.id)
            continue
        alert_event_id = str(uuid.uuid4())
        deliveries: list[dict[str, Any]] = []
        for channel in rule.channels:
            if channel == "webhook" and rule.webhook_url:
                deliveries.append(queued_webhook(rule.id, alert_event_id))
            elif channel == "email":
                subject = f"[CalcBridge {rule.severity}] {rule.name}: {deal_id}"
                body = f"{rule.description}\n{rule.metric} = {value} ({rule.operator} {rule.threshold})"
                deliveries.append(send_email(rule.recipients, subject, body))
        record = {
            "alert_event_id": alert_event_id,
            "tenant_id": tenant_id,
            "rule_id": rule.id,
            "rule_name": rule.name,
            "workbook_id": workbook_id,
            "partition_key": partition_key,
            "deal_id": deal_id,
            "metric": rule.metric,
            "operator": rule.operator,
            "threshold": rule.threshold,
            "value": value,
            "severity": rule.severity,
            "deliveries": deliveries,
            "fired_at": now,
        }
        with engine.begin() as conn:
            conn.execute(tables.alert_history.insert().values(**record))
            events.append(conn, tenant_id, [alert_triggered(record)], partition_key=partition_key, at=now)
        outcome.fired.append(record)

    for row in rows:
        status = row["status"]
        if status not in ("failed", "warning"):
            continue
        previous = _previous_status(engine, tenant_id, deal_id, row["test_id"], report_date)
        if previous == status:
            continue
        event = f"compliance.{status}"
        data = {
            "workbook_id": workbook_id,
            "deal_id": deal_id,
            "test_id": row["test_id"],
            "current_value": _num(row["current_value"]),
            "trigger_level": _num(row["trigger_level"]),
            "target_level": _num(row["target_level"]),
            "status": status,
            "previous_status": previous,
            "trend": row["trend"],
        }
        stmt = (
            insert(tables.compliance_events)
            .values(
                event_id=str(uuid.uuid4()),
                tenant_id=tenant_id,
                event=event,
                workbook_id=workbook_id,
                partition_key=partition_key,
                deal_id=deal_id,
                test_id=row["test_id"],
                previous_status=previous,
                status=status,
                payload=data,
                deliveries=[],
                created_at=now,
            )
            .on_conflict_do_nothing(constraint="uq_compliance_events_once")
        )
        with engine.begin() as conn:
            inserted = conn.execute(stmt).rowcount
        if inserted:  # not already recorded for this partition (a re-run)
            outcome.events.append({"event": event, **data})
    return outcome


def queued_webhook(rule_id: str, alert_event_id: str) -> dict[str, Any]:
    """A firing's webhook channel until its delivery ends: the outbox event it waits in (ops.webhook_deliveries)."""
    return {
        "channel": "webhook",
        "webhook_id": rule_id,
        "status": "queued",
        "attempts": 0,
        "http_status": None,
        "error": None,
        "event_uuid": alert_event_id,
    }


def alert_triggered(record: Mapping[str, Any]) -> events.Event:
    """The firing's `alert.triggered` event (its uuid is the firing's id, so a delivery finds the firing)."""
    data = {
        "alert_event_id": record["alert_event_id"],
        "rule_id": record["rule_id"],
        "rule_name": record["rule_name"],
        "workbook_id": record["workbook_id"],
        "deal_id": record["deal_id"],
        "metric": record["metric"],
        "operator": record["operator"],
        "threshold": record["threshold"],
        "value": record["value"],
        "severity": record["severity"],
    }
    return events.Event("alert.triggered", data, workbook_id=record["workbook_id"], event_uuid=record["alert_event_id"])


def record_webhook_outcome(engine: Engine, alert_event_id: str, webhook_id: str, outcome: Mapping[str, Any]) -> bool:
    """Replace a firing's queued webhook channel with how its delivery ended; False when no such firing."""
    h = tables.alert_history
    with engine.begin() as conn:
        current = conn.execute(
            sa.select(h.c.deliveries).where(h.c.alert_event_id == alert_event_id).with_for_update()
        ).first()
        if current is None:
            return False
        entry = {**outcome, "channel": "webhook", "webhook_id": webhook_id, "event_uuid": alert_event_id}
        mine = [d.get("channel") == "webhook" and d.get("webhook_id") == webhook_id for d in current.deliveries]
        deliveries = [entry if m else d for d, m in zip(current.deliveries, mine, strict=True)]
        conn.execute(
            h.update()
            .where(h.c.alert_event_id == alert_event_id)
            .values(deliveries=deliveries if any(mine) else [*current.deliveries, entry])
        )
    return True

"""Alert reads (seed 000 Alerts API): the rules that apply to a workbook and the firing history.

Rules are configuration (assets_config/alerts/*.yaml); firings are ops.alert_history rows of the caller's
tenant, newest first, keyset-paginated.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AppRuntime, Caller, Db, requires_clo
from api.errors import error_responses, not_found
from api.pagination import Page, PageQuery, keyset
from api.routers.clo_common import WORKBOOK_ID, AscPageQuery, WorkbookId, in_memory_page
from orchestration.compliance import tables as ct
from orchestration.compliance.alert_rules import load_config

router = APIRouter(tags=["clo alerts"], dependencies=[requires_clo()])
ERRORS = error_responses(401, 403, 404, 422, 429, 503)
LIST_ERRORS = error_responses(401, 403, 422, 429, 503)
RuleId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Alert id.")]


class ConditionOut(BaseModel):
    metric: str
    operator: str
    threshold: float


class AlertConfigOut(BaseModel):
    """An alert configuration (seed 000 Alert Configuration Request) and when it last fired for this deal."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "oc-senior-warning",
                    "name": "OC Warning Alert",
                    "description": "Alert when Senior OC drops below 120%",
                    "condition": {"metric": "oc_senior", "operator": "less_than", "threshold": 120.0},
                    "severity": "warning",
                    "channels": ["email", "webhook"],
                    "recipients": ["analyst@example.com"],
                    "webhook_url": "https://hooks.slack.com/...",
                    "cooldown_minutes": 60,
                    "enabled": True,
                    "last_fired_at": "2026-01-25T10:31:05Z",
                }
            ]
        }
    )

    id: str
    name: str
    description: str
    condition: ConditionOut
    severity: Literal["info", "warning", "critical"]
    channels: list[str]
    recipients: list[str]
    webhook_url: str | None
    cooldown_minutes: float
    enabled: bool
    last_fired_at: dt.datetime | None


class DeliveryOut(BaseModel):
    channel: str
    status: str = Field(description="delivered | failed | skipped")
    attempts: int = 0
    http_status: int | None = None
    error: str | None = None


class AlertFiringOut(BaseModel):
    """One firing in ops.alert_history."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b9c7a0e-1f0e-4f55-8f0e-2b0c0c7b6c11",
                    "alert_id": "oc-senior-warning",
                    "alert_name": "OC Warning Alert",
                    "workbook_id": WORKBOOK_ID,
                    "deal_id": "CalcBridge CLO 2024-1",
                    "metric": "oc_senior",
                    "operator": "less_than",
                    "threshold": 120.0,
                    "value": 118.4,
                    "severity": "warning",
                    "deliveries": [{"channel": "email", "status": "skipped", "attempts": 0,
                                    "error": "SMTP not configured"}],
                    "fired_at": "2026-01-25T10:31:05Z",
                }
            ]
        }
    )  # fmt: skip

    id: str
    alert_id: str
    alert_name: str
    workbook_id: str
    deal_id: str
    metric: str
    operator: str
    threshold: float
    value: float | None
    severity: str
    deliveries: list[DeliveryOut]
    fired_at: dt.datetime


def _firing(row: Any) -> AlertFiringOut:
    return AlertFiringOut(
        id=row.alert_event_id,
        alert_id=row.rule_id,
        alert_name=row.rule_name,
        workbook_id=row.workbook_id,
        deal_id=row.deal_id,
        metric=row.metric,
        operator=row.operator,
        threshold=float(row.threshold),
        value=None if row.value is None else float(row.value),
        severity=row.severity,
        deliveries=[DeliveryOut(**{k: d.get(k) for k in DeliveryOut.model_fields if k in d}) for d in row.deliveries],
        fired_at=row.fired_at,
    )


@router.get("/workbooks/{workbook_id}/alerts", summary="List alert configs", responses=ERRORS)
def list_workbook_alerts(db: Db, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery) -> Page[AlertConfigOut]:
    """Alert rules in scope for the workbook's tenant and deal, with the last firing for this deal."""
    m = ct.compliance_metrics
    run = db.execute(
        sa.select(m.c.deal_id)
        .where(m.c.tenant_id == caller.tenant_id, m.c.workbook_id == str(workbook_id))
        .order_by(m.c.executed_at.desc())
        .limit(1)
    ).first()
    if run is None:
        raise not_found("compliance results of workbook", str(workbook_id))
    h = ct.alert_history
    last = dict(
        db.execute(
            sa.select(h.c.rule_id, sa.func.max(h.c.fired_at))
            .where(h.c.tenant_id == caller.tenant_id, h.c.deal_id == run.deal_id)
            .group_by(h.c.rule_id)
        ).all()
    )
    items = []
    for rule in load_config().rules:
        if rule.tenant_id not in (None, "*", caller.tenant_id) or rule.deal_id not in (None, "*", run.deal_id):
            continue
        d = rule.as_dict()
        items.append(
            AlertConfigOut(
                id=d["id"],
                name=d["name"],
                description=d["description"],
                condition=ConditionOut(**d["condition"]),
                severity=d["severity"],
                channels=d["channels"],
                recipients=d["recipients"],
                webhook_url=d["webhook_url"],
                cooldown_minutes=d["cooldown_minutes"],
                enabled=d["enabled"],
                last_fired_at=last.get(rule.id),
            )
        )
    data, info = in_memory_page(items, page, key=lambda x: x.id, sort="id")
    return Page[AlertConfigOut](data=data, pagination=info)


def _history(db: Any, runtime: Any, caller: Any, page: Any, rule_id: str | None) -> Page[AlertFiringOut]:
    h = ct.alert_history
    filters = [h.c.tenant_id == caller.tenant_id]
    if rule_id is not None:
        filters.append(h.c.rule_id == rule_id)
    data, info = keyset(
        db,
        runtime.counts,
        page,
        columns=[h],
        filters=filters,
        count_from=h,
        sort="fired_at",
        sort_expr=h.c.fired_at,
        kind="datetime",
        id_expr=h.c.alert_event_id,
        count_key=("alert_history", caller.tenant_id, rule_id),
        build=_firing,
    )
    return Page[AlertFiringOut](data=data, pagination=info)


@router.get("/alerts/history", summary="Get alert execution history", responses=LIST_ERRORS)
def alert_history(db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery) -> Page[AlertFiringOut]:
    """Every firing of the caller's tenant, newest first by default."""
    return _history(db, runtime, caller, page, None)


@router.get("/alerts/{alert_id}/history", summary="Get specific alert history", responses=ERRORS)
def one_alert_history(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, alert_id: RuleId
) -> Page[AlertFiringOut]:
    """Firings of one rule; 404 when the rule is neither configured for the tenant nor in its history."""
    configured = any(r.id == alert_id and r.tenant_id in (None, "*", caller.tenant_id) for r in load_config().rules)
    if not configured:
        h = ct.alert_history
        seen = db.execute(
            sa.select(h.c.rule_id).where(h.c.tenant_id == caller.tenant_id, h.c.rule_id == alert_id).limit(1)
        ).first()
        if seen is None:
            raise not_found("alert", alert_id)
    return _history(db, runtime, caller, page, alert_id)

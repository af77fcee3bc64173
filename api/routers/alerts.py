"""Alert reads (seed 000 Alerts API): the rules that apply to a workbook and the firing history.

Rules are configuration (assets_config/alerts/*.yaml, read off the event loop); firings and each rule's last
firing per deal come from the marts over ops.alert_history (views: a firing is listed as soon as it is recorded),
the caller's tenant only, newest first, keyset-paginated.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api import configuration
from api.auth import Principal
from api.deps import AppRuntime, Caller, Db, Reader, requires_clo
from api.errors import error_responses, not_found
from api.marts.compliance import alert_firings as f
from api.marts.compliance import alert_last_fired as lf
from api.marts.compliance import compliance_summary
from api.pagination import Page, PageParams, PageQuery, keyset
from api.routers.clo_common import WORKBOOK_ID, AscPageQuery, WorkbookId, in_memory_page
from api.runtime import Runtime

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
    status: str = Field(description="delivered | failed | skipped | queued (a webhook not yet delivered)")
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


FIRINGS = TypeAdapter(list[AlertFiringOut])
CONFIGS = TypeAdapter(list[AlertConfigOut])
FIRING_COLUMNS: tuple[Any, ...] = (
    f.c.firing_id.label("id"),
    *(f.c[name] for name in ("alert_id", "alert_name", "workbook_id", "deal_id", "metric", "operator", "severity")),
    sa.cast(f.c.threshold, sa.Float).label("threshold"),
    sa.cast(f.c.value, sa.Float).label("value"),
    f.c.deliveries,
    f.c.fired_at,
)


@router.get("/workbooks/{workbook_id}/alerts", summary="List alert configs", responses=ERRORS)
async def list_workbook_alerts(
    db: Db, caller: Caller, workbook_id: WorkbookId, page: AscPageQuery
) -> Page[AlertConfigOut]:
    """Alert rules in scope for the workbook's tenant and deal, with the last firing for this deal."""
    s = compliance_summary
    run = (
        await db.execute(
            sa.select(s.c.deal_id).where(s.c.tenant_id == caller.tenant_id, s.c.workbook_id == str(workbook_id))
        )
    ).first()
    if run is None:
        raise not_found("compliance results of workbook", str(workbook_id))
    last = dict(
        (
            await db.execute(
                sa.select(lf.c.alert_id, lf.c.last_fired_at).where(
                    lf.c.tenant_id == caller.tenant_id, lf.c.deal_id == run.deal_id
                )
            )
        ).all()
    )
    rules = await configuration.documents(db, "alert_rule", caller.tenant_id)
    items = CONFIGS.validate_python(
        [
            rule | {"last_fired_at": last.get(rule["id"])}
            for rule in rules
            if rule.get("deal_id") in (None, "*", run.deal_id)
        ]
    )
    data, info = in_memory_page(items, page, key=lambda x: x.id, sort="id")
    return Page[AlertConfigOut](data=data, pagination=info)


async def _history(
    db: Reader, runtime: Runtime, caller: Principal, page: PageParams, alert_id: str | None
) -> Page[AlertFiringOut]:
    """One keyset page of the tenant's firings (of one rule, or all), newest first by default."""
    filters = [f.c.tenant_id == caller.tenant_id]
    if alert_id is not None:
        filters.append(f.c.alert_id == alert_id)
    rows, info = await keyset(
        db,
        runtime.counts,
        page,
        columns=FIRING_COLUMNS,
        filters=filters,
        count_from=f,
        sort="fired_at",
        sort_expr=f.c.fired_at,
        kind="datetime",
        id_expr=f.c.firing_id,
        count_key=("alert_history", caller.tenant_id, alert_id),
        build=lambda row: row._asdict(),
    )
    return Page[AlertFiringOut](data=FIRINGS.validate_python(rows), pagination=info)


@router.get("/alerts/history", summary="Get alert execution history", responses=LIST_ERRORS)
async def alert_history(db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery) -> Page[AlertFiringOut]:
    """Every firing of the caller's tenant, newest first by default."""
    return await _history(db, runtime, caller, page, None)


@router.get("/alerts/{alert_id}/history", summary="Get specific alert history", responses=ERRORS)
async def one_alert_history(
    db: Db, runtime: AppRuntime, caller: Caller, page: PageQuery, alert_id: RuleId
) -> Page[AlertFiringOut]:
    """Firings of one rule; 404 when the rule is neither configured for the tenant nor in its history."""
    if await configuration.document(db, "alert_rule", alert_id, caller.tenant_id) is None:
        seen = (
            await db.execute(
                sa.select(f.c.alert_id).where(f.c.tenant_id == caller.tenant_id, f.c.alert_id == alert_id).limit(1)
            )
        ).first()
        if seen is None:
            raise not_found("alert", alert_id)
    return await _history(db, runtime, caller, page, alert_id)

"""Every router, in one place: add a domain by appending its router to `API_V1_ROUTERS`."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    alerts,
    clo_insights,
    clo_mappings,
    clo_workbooks,
    compliance,
    covenants,
    equity,
    health,
    ml,
    ops,
    performance,
    pnl,
    provenance,
    reconciliation,
    reports,
    scenarios,
    uploads,
    webhooks,
)

API_V1_PREFIX = "/api/v1"

API_V1_ROUTERS: tuple[APIRouter, ...] = (
    uploads.router,
    ops.router,
    performance.router,
    pnl.router,
    covenants.router,
    equity.router,
    ml.router,
    clo_workbooks.router,
    clo_insights.router,
    clo_mappings.router,
    reconciliation.router,
    reports.router,
    compliance.router,
    scenarios.router,
    alerts.router,
    webhooks.router,
    provenance.router,
)
"""Mounted under /api/v1; each needs auth and is scoped to the caller's tenant."""

ROOT_ROUTERS: tuple[APIRouter, ...] = (health.router,)
"""Mounted at the root without auth: probes and metrics."""

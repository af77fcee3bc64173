"""Equity reads: `routes` (thin), `schemas` + `risk_schemas` (models with examples), `queries` (warehouse reads)."""

from api.routers.equity.routes import router

__all__ = ["router"]

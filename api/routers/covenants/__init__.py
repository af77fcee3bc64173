"""Covenant reads: `routes` (thin), `schemas` (seed 001 response models), `queries` (warehouse reads)."""

from api.routers.covenants.routes import router

__all__ = ["router"]

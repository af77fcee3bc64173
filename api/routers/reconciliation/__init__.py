"""CLO reconciliation reads: `routes` (thin), `schemas` (response models with examples), `queries` (warehouse reads)."""

from api.routers.reconciliation.routes import router

__all__ = ["router"]

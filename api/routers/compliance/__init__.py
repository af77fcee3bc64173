"""CLO compliance reads: `routes` (thin), `schemas` (response models with examples), `queries` (warehouse reads)."""

from api.routers.compliance.routes import router

__all__ = ["router"]

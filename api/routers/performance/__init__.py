"""Performance reads: `routes` (thin), `schemas`/`schemas_linked` (response models with examples), `queries`."""

from api.routers.performance.routes import router

__all__ = ["router"]

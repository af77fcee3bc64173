"""CLO workbook reads: `routes` (thin), `schemas` (response models with examples), `queries` (warehouse reads)."""

from api.routers.clo_workbooks.routes import router

__all__ = ["router"]

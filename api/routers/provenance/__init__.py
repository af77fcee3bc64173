"""The provenance of served figures (issue 18).

`routes` (thin), `schemas` (models, kinds, id formats), `resolve` (kind and id to partitions), `queries` (lineage,
dbt models, cells, contributors), `links` (the `links.provenance` other routes put on their items).
"""

from api.routers.provenance.routes import router

__all__ = ["router"]

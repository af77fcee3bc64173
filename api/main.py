"""The read-only CalcBridge API: `create_app()` for tests and tools, `app` for `uvicorn api.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dagster as dg
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.deps import document_security
from api.errors import errors_reference, install_error_handlers
from api.middleware import RequestContextMiddleware
from api.routers import API_V1_PREFIX, API_V1_ROUTERS, ROOT_ROUTERS, ws
from api.runtime import Runtime
from api.settings import ApiSettings, get_api_settings

DESCRIPTION = """Read-only access to what CalcBridge's Dagster pipelines have materialized.

Authenticate with `X-API-Key: cb_<key_id>_<secret>` or `Authorization: Bearer <HS256 JWT>`; every
row is scoped to the credential's tenant. Collections use opaque keyset cursors. Every error has the
envelope `{"error": {code, message, details, request_id, timestamp, documentation_url}}` and every response
carries `X-Request-ID`.

"""


def create_app(settings: ApiSettings | None = None, *, instance: dg.DagsterInstance | None = None) -> FastAPI:
    """Build the app; settings default to the environment, the Dagster instance to DAGSTER_HOME's."""
    settings = settings or get_api_settings()
    runtime = Runtime(settings, instance=instance)
    events = ws.EventHub(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.bind_loop()
        await events.start()
        yield
        await events.stop()
        await runtime.dispose_async()
        runtime.dispose()

    app = FastAPI(
        title="CalcBridge API",
        version=settings.version,
        description=DESCRIPTION + errors_reference(),
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.events = events
    for router in API_V1_ROUTERS:
        app.include_router(router, prefix=API_V1_PREFIX)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    app.include_router(ws.router)  # /ws, not under /api/v1: seed 000's wss://…/ws?token=<jwt>
    install_error_handlers(app)
    routers = [(API_V1_PREFIX, router) for router in API_V1_ROUTERS] + [("", router) for router in ROOT_ROUTERS]
    routes = [(prefix + r.path, r) for prefix, router in routers for r in router.routes if isinstance(r, APIRoute)]
    document_security(app, routes)
    templates = [path for path, _ in routes] + [url for url in (app.openapi_url, app.docs_url, app.redoc_url) if url]
    app.add_middleware(RequestContextMiddleware, templates=templates, metrics=runtime.metrics)
    return app


app = create_app()

"""Dependencies as `Annotated` aliases, so routes read like their signatures: `db: Db, caller: Caller`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import dagster as dg
from fastapi import Depends, FastAPI, Request, Response, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.engine import Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from api.auth import Principal, invalid_token, principal_from_jwt, rate_limited
from api.errors import ApiError, ErrorCode
from api.runtime import Runtime, unavailable

API_KEY_HEADER = "X-API-Key"
TENANT_HEADER = "X-Tenant-ID"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER, "description": "`cb_<key_id>_<secret>`"},
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "HS256 token with tenant_id claim",
    },
}
TENANT_PARAMETER: dict[str, Any] = {
    "name": TENANT_HEADER,
    "in": "header",
    "required": False,
    "description": "Optional; must equal the credential's tenant.",
    "schema": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "title": "X-Tenant-Id",
        "description": "Optional; must equal the credential's tenant.",
    },
}


def runtime_of(request: Request) -> Runtime:
    """The app's `Runtime` (read straight from the request: one dependency fewer to solve per request)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


AppRuntime = Annotated[Runtime, Depends(get_runtime)]


class Reader:
    """The request's read-only warehouse access over the pooled asyncpg engine.

    Each statement checks a connection out of the pool and returns it at once (every route's statements are
    independent autocommit reads), so the dependency needs no teardown step. No pre-ping: a statement that
    fails because the server had closed the pooled connection (a restart, an idle timeout) is retried once on a
    fresh connection; every statement is a read, so a retry is safe.
    """

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _run(self, statement: Executable, parameters: dict[str, Any] | None) -> Result[Any]:
        try:
            conn = await self._engine.connect()
        except (DBAPIError, OSError):
            raise unavailable("the warehouse") from None
        try:
            return await conn.execute(statement, parameters)
        finally:
            await conn.close()

    async def execute(self, statement: Executable, parameters: dict[str, Any] | None = None) -> Result[Any]:
        """Run one statement; the rows are buffered, so `.all()`, `.first()`, `.scalar_one()` need no await."""
        try:
            return await self._run(statement, parameters)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        return await self._run(statement, parameters)


def records(result: Result[Any]) -> list[dict[str, Any]]:
    """A result's rows as plain dicts for a response model (five times cheaper than `Row._asdict()`)."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


async def get_db(request: Request) -> Reader:
    """The request's `Reader` (no connection is held until a statement runs)."""
    return Reader(runtime_of(request).async_engine)


Db = Annotated[Reader, Depends(get_db)]


def get_instance(runtime: AppRuntime) -> dg.DagsterInstance:
    return runtime.instance


Instance = Annotated[dg.DagsterInstance, Depends(get_instance)]


async def _verify_key(runtime: Runtime, api_key: str) -> Principal:
    """Look a key up in ops.api_keys (the verified-key cache missed)."""
    try:
        return await runtime.keys.verify(api_key, Reader(runtime.async_engine))
    except DBAPIError:
        raise unavailable("the warehouse") from None


def _bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive), else None."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def get_caller(request: Request, response: Response) -> Principal:
    """Authenticate by X-API-Key or bearer JWT, check every X-Tenant-ID, then take a rate-limit token.

    The headers are read here rather than through FastAPI's security dependencies: three fewer dependencies to
    solve on every request (`document_security` puts the schemes and the header back into OpenAPI).
    """
    runtime = runtime_of(request)
    headers = request.headers
    api_key = headers.get(API_KEY_HEADER)
    token = _bearer_token(headers.get("authorization", ""))
    caller: Principal
    if api_key:
        cached = runtime.keys.cached(api_key)
        caller = cached if cached is not None else await _verify_key(runtime, api_key)
    elif token is not None:
        caller = principal_from_jwt(token, runtime.settings.secret)
    else:
        raise invalid_token("authentication required: send X-API-Key or Authorization: Bearer <jwt>")
    tenants = headers.getlist(TENANT_HEADER)
    if len(tenants) > 1:
        raise ApiError(400, "X-Tenant-ID must be sent at most once", code=ErrorCode.VALIDATION_ERROR)
    if tenants and tenants[0] != caller.tenant_id:
        raise ApiError(
            403, "X-Tenant-ID does not match the credential's tenant", code=ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS
        )
    if runtime.tenant_limiter is not None:
        # Per tenant as well as per caller: minting many subjects (JWT `sub`) cannot multiply a tenant's share.
        decision = runtime.tenant_limiter.take(caller.tenant_id)
        if not decision.allowed:
            raise rate_limited(decision)
    if runtime.limiter is not None:
        decision = runtime.limiter.take(f"{caller.tenant_id}:{caller.subject}")
        if not decision.allowed:
            raise rate_limited(decision)
        response.headers.update(decision.headers())
    return caller


Caller = Annotated[Principal, Depends(get_caller)]


SEED_WORKBOOKS = ("read:workbooks",)
"""Seed 000's name that reads every CLO workbook route (workbooks, insights, mappings, compliance,
reconciliation, reports, alerts), accepted beside `read:clo`."""
SEED_SCENARIOS = ("read:scenarios", "write:scenarios")
"""Seed 000's names that also read the scenario routes (a writer may read what it wrote)."""


class RequirePermission:
    """Router-level dependency: 403 AUTH_INSUFFICIENT_PERMISSIONS unless the caller holds one of `permissions`."""

    def __init__(self, *permissions: str) -> None:
        self.permissions = permissions

    async def __call__(self, caller: Caller) -> None:
        if not any(caller.can(p) for p in self.permissions):
            names = " or ".join(repr(p) for p in self.permissions)
            message = f"this route needs the {names} permission"
            raise ApiError(403, message, code=ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS)


def requires(permission: str, *seed: str) -> params.Depends:
    """`dependencies=[requires("read:uploads")]` on a router; `seed` lists seed permission names also accepted."""
    return Depends(RequirePermission(permission, *seed))


def requires_clo(*seed_names: str) -> params.Depends:
    """`read:clo`, or a seed 000 name for it (`read:workbooks`; `seed_names` adds the route's own, e.g. scenarios)."""
    return requires("read:clo", *SEED_WORKBOOKS, *seed_names)


def _authenticates(dependant: Dependant) -> bool:
    return dependant.call is get_caller or any(_authenticates(d) for d in dependant.dependencies)


def document_security(app: FastAPI, routes: Iterable[tuple[str, APIRoute]]) -> None:
    """Declare in OpenAPI what `get_caller` reads from the headers.

    The two security schemes, and the optional X-Tenant-ID header on every operation that authenticates.
    """
    generate = app.openapi
    secured = [(path, route) for path, route in routes if _authenticates(route.dependant)]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for path, route in secured:
            for method in route.methods:
                operation = schema["paths"][path][method.lower()]
                operation["security"] = [{"APIKeyHeader": []}, {"HTTPBearer": []}]
                operation.setdefault("parameters", []).append(TENANT_PARAMETER)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

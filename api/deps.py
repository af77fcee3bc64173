"""Dependencies as `Annotated` aliases, so routes read like their signatures: `db: Db, caller: Caller`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import dagster as dg
from fastapi import Depends, Header, Request, Response, Security, params
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from api.auth import Principal, invalid_token, principal_from_jwt, rate_limited
from api.errors import ApiError, ErrorCode
from api.runtime import Runtime, unavailable

api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="`cb_<key_id>_<secret>`")
bearer_scheme = HTTPBearer(auto_error=False, bearerFormat="JWT", description="HS256 token with tenant_id claim")


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


AppRuntime = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: AppRuntime) -> Iterator[Connection]:
    """A pooled, read-only warehouse connection for the request; 503 when Postgres is down."""
    try:
        conn = runtime.engine.connect()
    except DBAPIError:
        raise unavailable("the warehouse") from None
    with conn:
        yield conn


Db = Annotated[Connection, Depends(get_db)]


def get_instance(runtime: AppRuntime) -> dg.DagsterInstance:
    return runtime.instance


Instance = Annotated[dg.DagsterInstance, Depends(get_instance)]


async def _verify_key(runtime: Runtime, api_key: str) -> Principal:
    """Look a key up in ops.api_keys on a worker thread (the verified-key cache missed)."""
    try:
        return await run_in_threadpool(runtime.keys.verify, api_key, lambda: runtime.engine)
    except DBAPIError:
        raise unavailable("the warehouse") from None


async def get_caller(
    runtime: AppRuntime,
    response: Response,
    api_key: Annotated[str | None, Security(api_key_scheme)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
    x_tenant_id: Annotated[
        str | None, Header(alias="X-Tenant-ID", description="Optional; must equal the credential's tenant.")
    ] = None,
) -> Principal:
    """Authenticate by X-API-Key or bearer JWT, check X-Tenant-ID, then take a rate-limit token."""
    caller: Principal | None
    if api_key:
        caller = runtime.keys.cached(api_key)
        if caller is None:
            caller = await _verify_key(runtime, api_key)
    elif bearer is not None:
        caller = principal_from_jwt(bearer.credentials, runtime.settings.jwt_secret.get_secret_value())
    else:
        raise invalid_token("authentication required: send X-API-Key or Authorization: Bearer <jwt>")
    if x_tenant_id is not None and x_tenant_id != caller.tenant_id:
        raise ApiError(
            403, "X-Tenant-ID does not match the credential's tenant", code=ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS
        )
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

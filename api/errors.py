"""The seed-000 error envelope, the exception that carries it, and the handlers that render every error in it."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from dagster_postgres.utils import DagsterPostgresException
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    """Codes from seed 000's error table that this read-only API can return."""

    AUTH_INVALID_TOKEN = "AUTH_INVALID_TOKEN"  # noqa: S105 - an error code, not a credential
    AUTH_INSUFFICIENT_PERMISSIONS = "AUTH_INSUFFICIENT_PERMISSIONS"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    PROCESSING_ERROR = "PROCESSING_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


STATUS_CODES: dict[int, ErrorCode] = {
    401: ErrorCode.AUTH_INVALID_TOKEN,
    403: ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS,
    404: ErrorCode.RESOURCE_NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMIT_EXCEEDED,
    500: ErrorCode.PROCESSING_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}

DESCRIPTIONS: dict[int, str] = {
    401: "Missing, invalid, expired or revoked credentials.",
    403: "The credential lacks the route's permission, or X-Tenant-ID names another tenant.",
    404: "No such resource for the caller's tenant.",
    405: "The API is read-only (GET, HEAD, OPTIONS); data arrives through the landing zone, not the API.",
    422: "A query parameter or the cursor is invalid.",
    429: "The caller's token bucket is empty; retry after Retry-After seconds.",
    500: "Unexpected server error (details are logged, never returned).",
    503: "A dependency (Postgres, Dagster) is unavailable.",
}

READ_ONLY_METHODS = "GET, HEAD, OPTIONS"
DOCS_URL = "/docs"


def documentation_url(code: ErrorCode) -> str:
    """Where the error code is explained: its anchor in the API reference's "Errors" section."""
    return f"{DOCS_URL}#error-{code.value}"


def method_not_allowed_message(method: str) -> str:
    """The 405 message: the API only reads; files land in the landing zone and Dagster materializes them."""
    return (
        f"method {method} is not allowed; this API is read-only ({READ_ONLY_METHODS}). Data arrives through the "
        "landing zone: put the file under landing/<tenant>/<domain>/ and Dagster materializes it"
    )


def errors_reference() -> str:
    """The API reference's "Errors" section (markdown): one anchored line per code, with its HTTP status."""
    statuses = {code: status for status, code in STATUS_CODES.items()}
    lines = ["## Errors", ""]
    for code in ErrorCode:
        status = statuses.get(code)
        what = DESCRIPTIONS.get(status, "") if status else ""
        lines.append(f'- <a id="error-{code.value}"></a>**{code.value}** ({status or "—"}): {what}')
    return "\n".join(lines) + "\n"


class ErrorDetail(BaseModel):
    """One problem with the request, e.g. a query parameter that failed validation."""

    field: str
    message: str
    code: str


class ErrorBody(BaseModel):
    """The `error` object of the envelope."""

    code: ErrorCode
    message: str
    details: list[ErrorDetail]
    request_id: str
    timestamp: dt.datetime
    documentation_url: str = Field(description="The code's entry in the API reference (`/docs#error-<code>`).")


class ErrorEnvelope(BaseModel):
    """Every non-2xx response from the data routes has this shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "VALIDATION_ERROR",
                        "message": "Request validation failed",
                        "details": [
                            {
                                "field": "limit",
                                "message": "Input should be less than or equal to 200",
                                "code": "LESS_THAN_EQUAL",
                            }
                        ],
                        "request_id": "req_3f6c2a9b8d1e4f7a9c0b1d2e3f4a5b6c",
                        "timestamp": "2026-01-25T10:30:00Z",
                        "documentation_url": "/docs#error-VALIDATION_ERROR",
                    }
                }
            ]
        }
    )

    error: ErrorBody


class ApiError(Exception):
    """An error that becomes an envelope response with the given status, code and headers."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: ErrorCode | None = None,
        details: Sequence[ErrorDetail] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or STATUS_CODES.get(status_code, ErrorCode.PROCESSING_ERROR)
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})


RETRY_AFTER_SECONDS = 5
"""What a 503 tells the client to wait before trying again: long enough for a restarted Postgres to accept."""


def unavailable(what: str) -> ApiError:
    """503 SERVICE_UNAVAILABLE with Retry-After: a dependency (the warehouse, the Dagster storage) is unreachable."""
    return ApiError(
        503,
        f"{what} is unavailable",
        code=ErrorCode.SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def not_found(resource: str, identifier: str) -> ApiError:
    """404 for a resource that does not exist or belongs to another tenant (the two are indistinguishable)."""
    return ApiError(404, f"{resource} {identifier!r} not found")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def envelope(code: ErrorCode, message: str, request_id: str, details: Iterable[ErrorDetail] = ()) -> dict[str, Any]:
    """The envelope as JSON-ready data."""
    return {
        "error": {
            "code": code.value,
            "message": message,
            "details": [d.model_dump() for d in details],
            "request_id": request_id,
            "timestamp": utc_now().isoformat().replace("+00:00", "Z"),
            "documentation_url": documentation_url(code),
        }
    }


def envelope_bytes(code: ErrorCode, message: str, request_id: str) -> bytes:
    """The envelope serialized, for middleware that answers before routing."""
    return json.dumps(envelope(code, message, request_id), separators=(",", ":")).encode()


def request_id_of(request: Request) -> str:
    """The id the request-context middleware assigned (always set when the middleware runs)."""
    return str(request.scope.get("state", {}).get("request_id", "req_unknown"))


def error_response(
    request: Request,
    status_code: int,
    code: ErrorCode,
    message: str,
    details: Iterable[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        envelope(code, message, request_id_of(request), details), status_code=status_code, headers=dict(headers or {})
    )


def _field_path(loc: Sequence[str | int]) -> str:
    parts = list(loc[1:] if loc and loc[0] in ("query", "path", "header", "cookie", "body") else loc)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "request"


def _api_response(request: Request, error: ApiError) -> JSONResponse:
    return error_response(request, error.status_code, error.code, error.message, error.details, error.headers)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _api_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, ErrorCode.PROCESSING_ERROR)
    if exc.status_code == 404:
        message = f"no route matches {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = method_not_allowed_message(request.method)
    else:
        message = str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = READ_ONLY_METHODS
    return error_response(request, exc.status_code, code, message, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(
            field=_field_path(e.get("loc", ())), message=str(e.get("msg", "")), code=str(e.get("type", "")).upper()
        )
        for e in exc.errors()
    ]
    return error_response(request, 422, ErrorCode.VALIDATION_ERROR, "Request validation failed", details)


UNDEFINED_TABLE = "42P01"
"""SQLSTATE of a relation that does not exist (psycopg and asyncpg both expose `sqlstate`)."""
OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "57014")
"""Connection exceptions (class 08), the server shutting down or starting (57P01-57P03) and a statement cancelled
by the statement timeout (57014): the database cannot answer now, a retry later may succeed."""


def _sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of a driver error: `sqlstate` (asyncpg, psycopg 3) or `pgcode` (psycopg2)."""
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state if isinstance(state, str) else None


def is_outage(error: DBAPIError) -> bool:
    """The database is unreachable or not answering (rather than the statement being wrong)."""
    if isinstance(error, OperationalError) or error.connection_invalidated:
        return True
    state = _sqlstate(error.orig)
    return state is not None and state.startswith(OUTAGE_SQLSTATES)


def _unavailable(request: Request, what: str) -> JSONResponse:
    return _api_response(request, unavailable(what))


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if is_outage(exc):
        return _unavailable(request, "the database")
    if _sqlstate(exc.orig) == UNDEFINED_TABLE:
        message = "the requested data has not been materialized yet (run the dbt marts)"
        return error_response(request, 503, ErrorCode.SERVICE_UNAVAILABLE, message)
    log.exception("database error answering %s %s", request.method, request.url.path)
    return error_response(
        request, 500, ErrorCode.PROCESSING_ERROR, "internal error; quote the request id when reporting it"
    )


async def _dagster_storage_error(request: Request, exc: Exception) -> JSONResponse:
    """dagster-postgres gave up connecting (after its own retries): 503, not 500."""
    log.warning("Dagster storage unavailable answering %s %s: %s", request.method, request.url.path, exc)
    return _unavailable(request, "the Dagster storage")


def install_error_handlers(app: FastAPI) -> None:
    """Render ApiError, routing errors (404/405), validation and database errors in the envelope."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(DagsterPostgresException, _dagster_storage_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def _example(status_code: int) -> dict[str, Any]:
    code = STATUS_CODES[status_code]
    return {
        "error": {
            "code": code.value,
            "message": DESCRIPTIONS[status_code],
            "details": [],
            "request_id": "req_3f6c2a9b8d1e4f7a9c0b1d2e3f4a5b6c",
            "timestamp": "2026-01-25T10:30:00Z",
        }
    }


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the envelope for each status code."""
    return {
        status: {
            "model": ErrorEnvelope,
            "description": DESCRIPTIONS[status],
            "content": {"application/json": {"example": _example(status)}},
        }
        for status in status_codes
    }

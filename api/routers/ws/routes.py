"""`/ws`: the tenant's events, live and replayed after `since`, over a WebSocket (docs/events.md).

The credential is checked before anything is streamed: `?token=` (a JWT or an API key: browsers cannot set
headers on a WebSocket), `Authorization: Bearer <jwt>` or `X-API-Key`, exactly as the REST routes check theirs.
A refusal is accepted, told in an `error` message and closed with 4000 + the REST status (4401, 4403, 4422,
4429, 4503). The feed is joined before the handshake completes, so every event committed after it is streamed.
"""

from __future__ import annotations

import logging

import jwt
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.exc import DBAPIError

from api.auth import Principal, invalid_token, principal_from_jwt, rate_limited
from api.deps import API_KEY_HEADER, SEED_WORKBOOKS, TENANT_HEADER, Reader
from api.errors import ApiError, ErrorCode, unavailable
from api.keys import parse_api_key
from api.middleware import REQUEST_ID_HEADER, REQUEST_ID_PATTERN, new_request_id
from api.routers.ws.hub import EventHub
from api.routers.ws.protocol import CloseCode, ProtocolError, from_query
from api.routers.ws.session import Client, send_close
from api.runtime import Runtime

log = logging.getLogger("api.ws")

READ_EVENTS = "read:events"
"""The permission /ws needs (API keys and the read roles hold every read:*); seed 000's read:workbooks also does."""

router = APIRouter(tags=["events"])


def _bearer(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def authenticate(websocket: WebSocket, runtime: Runtime) -> tuple[Principal, float | None]:
    """The caller and, for a JWT, when it expires (the connection is closed then); ApiError 401/403 otherwise."""
    api_key = websocket.headers.get(API_KEY_HEADER)
    token = websocket.query_params.get("token") or _bearer(websocket.headers.get("authorization", ""))
    if not api_key and token and parse_api_key(token) is not None:
        api_key, token = token, None
    expires_at: float | None = None
    if api_key:
        principal = runtime.keys.cached(api_key)
        if principal is None:
            try:
                principal = await runtime.keys.verify(api_key, Reader(runtime.async_engine))
            except DBAPIError:
                raise unavailable("the warehouse") from None
    elif token:
        principal = principal_from_jwt(token, runtime.settings.secret)
        expires_at = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    else:
        raise invalid_token("authentication required: send ?token=<jwt or API key>, X-API-Key or a bearer JWT")
    tenants = websocket.headers.getlist(TENANT_HEADER)
    if tenants and any(t != principal.tenant_id for t in tenants):
        raise ApiError(
            403, "X-Tenant-ID does not match the credential's tenant", code=ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS
        )
    if not any(principal.can(p) for p in (READ_EVENTS, *SEED_WORKBOOKS)):
        raise ApiError(403, f"/ws needs the {READ_EVENTS!r} permission", code=ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS)
    buckets = (
        (runtime.tenant_limiter, principal.tenant_id),
        (runtime.limiter, f"{principal.tenant_id}:{principal.subject}"),
    )
    for limiter, caller in buckets:  # a handshake takes a token like a request: reconnect storms are bounded
        decision = limiter.take(caller) if limiter is not None else None
        if decision is not None and not decision.allowed:
            raise rate_limited(decision)
    return principal, expires_at


async def refuse(websocket: WebSocket, code: int, error: ErrorCode, message: str, request_id: str) -> None:
    """Accept only to say why in an `error` message, then close with `code` (a browser sees no HTTP status)."""
    try:
        await websocket.accept()
    except (WebSocketDisconnect, OSError, RuntimeError):
        return
    await send_close(websocket, code, error, message, request_id)


def parse_since(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise ProtocolError("since must be an event id (a non-negative integer)", field_name="since")
    return int(value)


@router.websocket("/ws")
async def events_stream(websocket: WebSocket) -> None:
    """Authenticate, join the tenant's feed, accept, replay after `since`, then stream until either side closes."""
    runtime: Runtime = websocket.app.state.runtime
    hub: EventHub = websocket.app.state.events
    given = websocket.headers.get(REQUEST_ID_HEADER)
    request_id = given if given and REQUEST_ID_PATTERN.match(given) else new_request_id()
    params = websocket.query_params
    try:
        principal, expires_at = await authenticate(websocket, runtime)
        subscription = from_query(params.get("events"), params.get("workbook_id"))
        since = parse_since(params.get("since"))
        client = Client(websocket, principal.tenant_id, subscription, request_id, runtime.settings.ws_queue_size)
        feed = await hub.register(client)
    except ApiError as error:
        await refuse(websocket, 4000 + error.status_code, error.code, error.message, request_id)
        return
    except ProtocolError as error:
        await refuse(websocket, CloseCode.INVALID, ErrorCode.VALIDATION_ERROR, error.message, request_id)
        return
    except DBAPIError:
        log.warning("/ws cannot read marts.events", exc_info=True)
        message = "the events are unavailable (is the warehouse up and marts.events built?)"
        await refuse(websocket, CloseCode.UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, message, request_id)
        return
    try:
        await websocket.accept()
        await websocket.send_json(
            {
                **subscription.acknowledgement("connected"),
                "tenant_id": principal.tenant_id,
                "last_event_id": feed.cursor,
            }
        )
        if since is not None:
            await client.replay(runtime, since, feed)
        else:
            client.end_replay(set(), feed)
        await client.serve(runtime.settings.ws_heartbeat_seconds, expires_at)
    except (DBAPIError, ApiError):
        log.warning("/ws replay failed", exc_info=True)
        message = "the events are unavailable; reconnect with since=<last id>"
        await send_close(websocket, CloseCode.UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, message, request_id)
    except (WebSocketDisconnect, OSError):
        pass  # the client left during the replay
    finally:
        hub.unregister(client)

"""Signed webhook delivery in seed 000's format, with the seed's retry policy; every attempt reported as it ends.

Body: `{"event", "timestamp", "data", "metadata": {tenant_id, webhook_id, delivery_attempt}}`, signed with
HMAC-SHA256 of the exact body (`X-CalcBridge-Signature: sha256=<hex>`) and re-signed on every attempt (the
attempt number is in the body). Retry policy (seed 000 "Retry Policy"): 5xx and network errors retry with
exponential backoff (1 s, 2 s), 3 attempts; 429 honours `Retry-After` (seconds or an HTTP date), 3 attempts;
any other status outside 2xx is not retried. `sleep` and `clock` are injected, so tests assert the schedule
without waiting. The caller records each attempt (`on_attempt`), e.g. in ops.webhook_deliveries.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

SIGNATURE_HEADER = "X-CalcBridge-Signature"
EVENT_HEADER = "X-CalcBridge-Event"
EVENT_ID_HEADER = "X-CalcBridge-Event-Id"
DELIVERY_HEADER = "X-CalcBridge-Delivery"
MAX_ATTEMPTS = 3
BASE_DELAY_SECONDS = 1.0
MAX_RETRY_AFTER_SECONDS = 60.0

AttemptStatus = Literal["delivered", "retrying", "failed", "not_retried"]
"""One attempt: delivered (2xx); retrying (another attempt follows); failed (retryable, attempts exhausted);
not_retried (a status the policy never retries: other 4xx, 3xx)."""
ATTEMPT_STATUSES: tuple[str, ...] = ("delivered", "retrying", "failed", "not_retried")


def utc_now() -> dt.datetime:
    """The default clock."""
    return dt.datetime.now(dt.UTC)


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex>` HMAC-SHA256 of the exact request body with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """Constant-time check of a received signature (what a receiver does)."""
    return hmac.compare_digest(sign(body, secret), signature)


def timestamp_text(at: dt.datetime) -> str:
    """A timestamp as the seed writes it: UTC ISO 8601 with `Z`."""
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def payload(
    event: str, data: Mapping[str, Any], *, tenant_id: str, webhook_id: str, attempt: int, timestamp: str
) -> dict[str, Any]:
    """Seed 000 webhook body: event, timestamp, data, metadata (tenant_id, webhook_id, delivery_attempt)."""
    return {
        "event": event,
        "timestamp": timestamp,
        "data": dict(data),
        "metadata": {"tenant_id": tenant_id, "webhook_id": webhook_id, "delivery_attempt": attempt},
    }


def body_bytes(document: Mapping[str, Any]) -> bytes:
    """The exact bytes posted and signed (compact JSON)."""
    return json.dumps(document, separators=(",", ":"), default=str).encode("utf-8")


def backoff(attempt: int) -> float:
    """Exponential delay after a failed attempt: 1 s after the first, 2 s after the second."""
    return BASE_DELAY_SECONDS * 2 ** (attempt - 1)


def retry_after(value: str | None, attempt: int, now: dt.datetime) -> float:
    """Seconds from a Retry-After header (delta seconds or an HTTP date, capped at 60), else the backoff."""
    if value:
        value = value.strip()
        if value.isdigit():
            return min(float(value), MAX_RETRY_AFTER_SECONDS)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return backoff(attempt)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)
    return backoff(attempt)


@dataclass(frozen=True)
class Attempt:
    """One POST and how it ended; `delay_seconds` is the wait before the next attempt (None when none follows)."""

    delivery_id: str
    attempt: int
    status: AttemptStatus
    http_status: int | None
    error: str | None
    delay_seconds: float | None
    attempted_at: dt.datetime


@dataclass
class Delivery:
    """Outcome of one delivery (all its attempts): delivered, failed (exhausted) or not_retried."""

    webhook_id: str
    delivery_id: str
    status: Literal["delivered", "failed", "not_retried"] = "failed"
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def http_status(self) -> int | None:
        return self.attempts[-1].http_status if self.attempts else None

    @property
    def error(self) -> str | None:
        return self.attempts[-1].error if self.attempts else None

    @property
    def delays(self) -> list[float]:
        return [a.delay_seconds for a in self.attempts if a.delay_seconds is not None]

    def as_dict(self) -> dict[str, Any]:
        """What a channel entry of ops.alert_history.deliveries says about it."""
        return {
            "channel": "webhook",
            "webhook_id": self.webhook_id,
            "status": "delivered" if self.status == "delivered" else "failed",
            "attempts": len(self.attempts),
            "http_status": self.http_status,
            "error": self.error,
            "delays": self.delays,
            "delivery_id": self.delivery_id,
        }


def _classify(response: httpx.Response | None, attempt: int, now: dt.datetime) -> tuple[AttemptStatus, float | None]:
    """The attempt's status and, when another attempt may follow, its delay (network error: response None)."""
    if response is not None and response.is_success:
        return "delivered", None
    if response is None or response.status_code >= 500:
        delay = backoff(attempt)
    elif response.status_code == 429:
        delay = retry_after(response.headers.get("Retry-After"), attempt, now)
    else:
        return "not_retried", None
    return ("retrying", delay) if attempt < MAX_ATTEMPTS else ("failed", None)


def deliver(
    url: str,
    event: str,
    data: Mapping[str, Any],
    *,
    tenant_id: str,
    webhook_id: str,
    secret: str | None,
    timestamp: str,
    event_uuid: str | None = None,
    on_attempt: Callable[[Attempt], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], dt.datetime] = utc_now,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
) -> Delivery:
    """POST the event under the seed's retry policy; `on_attempt` sees each attempt before any wait that follows."""
    delivery = Delivery(webhook_id=webhook_id, delivery_id=str(uuid.uuid4()))
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        for number in range(1, MAX_ATTEMPTS + 1):
            body = body_bytes(
                payload(event, data, tenant_id=tenant_id, webhook_id=webhook_id, attempt=number, timestamp=timestamp)
            )
            headers = {"Content-Type": "application/json", EVENT_HEADER: event, DELIVERY_HEADER: delivery.delivery_id}
            if event_uuid:
                headers[EVENT_ID_HEADER] = event_uuid
            if secret:
                headers[SIGNATURE_HEADER] = sign(body, secret)
            attempted_at = clock()
            response: httpx.Response | None
            try:
                response = http.post(url, content=body, headers=headers)
                error = None if response.is_success else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:  # network error: retried like a 5xx
                response, error = None, f"{type(exc).__name__}: {exc}"
            status, delay = _classify(response, number, clock())
            attempt = Attempt(
                delivery.delivery_id,
                number,
                status,
                None if response is None else response.status_code,
                error,
                delay,
                attempted_at,
            )
            delivery.attempts.append(attempt)
            on_attempt(attempt)
            if status != "retrying":
                delivery.status = status
                return delivery
            assert delay is not None
            sleep(delay)
        return delivery
    finally:
        if own:
            http.close()

"""Webhook delivery in seed 000's format: HMAC-SHA256 signature and the seed's retry policy.

Retry policy (seed 000 "Retry Policy"): 5xx and network errors retry with exponential backoff, 3 attempts;
429 honours `Retry-After` (seconds or an HTTP date), 3 attempts; any other 4xx is not retried. `sleep` is
injected so tests run instantly and can assert the delays.
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
from typing import Any

import httpx

SIGNATURE_HEADER = "X-CalcBridge-Signature"
EVENT_HEADER = "X-CalcBridge-Event"
DELIVERY_HEADER = "X-CalcBridge-Delivery"
MAX_ATTEMPTS = 3
BASE_DELAY_SECONDS = 1.0
MAX_RETRY_AFTER_SECONDS = 60.0


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex>` HMAC-SHA256 of the exact request body with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """Constant-time check of a received signature (what a receiver does)."""
    return hmac.compare_digest(sign(body, secret), signature)


def payload(
    event: str, data: Mapping[str, Any], *, tenant_id: str, webhook_id: str, attempt: int, timestamp: dt.datetime
) -> dict[str, Any]:
    """Seed 000 webhook body: event, timestamp, data, metadata (tenant_id, webhook_id, delivery_attempt)."""
    return {
        "event": event,
        "timestamp": timestamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": dict(data),
        "metadata": {"tenant_id": tenant_id, "webhook_id": webhook_id, "delivery_attempt": attempt},
    }


@dataclass
class Delivery:
    """Outcome of one webhook delivery (all attempts)."""

    channel: str
    status: str  # delivered | failed | skipped
    attempts: int = 0
    http_status: int | None = None
    error: str | None = None
    delays: list[float] = field(default_factory=list)
    delivery_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "http_status": self.http_status,
            "error": self.error,
            "delays": self.delays,
            "delivery_id": self.delivery_id,
        }


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds from a Retry-After header (delta seconds or HTTP date), else the exponential delay."""
    if value:
        value = value.strip()
        if value.isdigit():
            return min(float(value), MAX_RETRY_AFTER_SECONDS)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return min(max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds()), MAX_RETRY_AFTER_SECONDS)
        except (TypeError, ValueError):
            pass
    return BASE_DELAY_SECONDS * 2 ** (attempt - 1)


def deliver(
    url: str,
    event: str,
    data: Mapping[str, Any],
    *,
    tenant_id: str,
    webhook_id: str,
    secret: str | None,
    timestamp: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
) -> Delivery:
    """POST the event with the seed's retry policy; each attempt is re-signed (delivery_attempt changes)."""
    timestamp = timestamp or dt.datetime.now(dt.UTC)
    delivery = Delivery(channel="webhook", status="failed", delivery_id=str(uuid.uuid4()))
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            body = json.dumps(
                payload(event, data, tenant_id=tenant_id, webhook_id=webhook_id, attempt=attempt, timestamp=timestamp),
                separators=(",", ":"),
                default=str,
            ).encode("utf-8")
            headers = {"Content-Type": "application/json", EVENT_HEADER: event, DELIVERY_HEADER: delivery.delivery_id}
            if secret:
                headers[SIGNATURE_HEADER] = sign(body, secret)
            delivery.attempts = attempt
            try:
                response = http.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:  # network error: exponential
                delivery.error = f"{type(exc).__name__}: {exc}"
                delivery.http_status = None
                delay = BASE_DELAY_SECONDS * 2 ** (attempt - 1)
            else:
                delivery.http_status = response.status_code
                if response.is_success:
                    delivery.status, delivery.error = "delivered", None
                    return delivery
                delivery.error = f"HTTP {response.status_code}"
                if response.status_code == 429:
                    delay = _retry_after(response.headers.get("Retry-After"), attempt)
                elif response.status_code >= 500:
                    delay = BASE_DELAY_SECONDS * 2 ** (attempt - 1)
                else:
                    return delivery  # other 4xx: no retry
            if attempt < MAX_ATTEMPTS:
                delivery.delays.append(delay)
                sleep(delay)
        return delivery
    finally:
        if own:
            http.close()

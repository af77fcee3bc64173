"""Prometheus metrics: request count and latency by route template, method and status."""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS_TOTAL = "calcbridge_api_requests_total"
REQUEST_DURATION = "calcbridge_api_request_duration_seconds"
UNMATCHED_ROUTE = "<unmatched>"
"""Label for requests no route matched, so scanners cannot blow up the label cardinality."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per app; with PROMETHEUS_MULTIPROC_DIR set, /metrics aggregates every worker."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("method", "route", "status")
        self._requests = Counter(REQUESTS_TOTAL, "HTTP requests answered.", labels, registry=self.registry)
        self._latency = Histogram(
            REQUEST_DURATION, "Time to answer an HTTP request.", labels, buckets=LATENCY_BUCKETS, registry=self.registry
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route, str(status)).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

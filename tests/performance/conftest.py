"""Reuse the API test fixtures (a test app on the session's Postgres) for the performance API tests; the engine
tests' decimal context."""

import decimal
from collections.abc import Iterator

import pytest

from orchestration.performance.backend import DECIMAL_CONTEXT
from tests.api.conftest import client, make_client  # noqa: F401


@pytest.fixture
def decimal_context() -> Iterator[None]:
    """The engine's decimal context (precision and rounding) around a calculation test."""
    with decimal.localcontext(DECIMAL_CONTEXT):
        yield

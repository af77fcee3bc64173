"""Reuse the API test fixtures (a test app on the session's Postgres) for the performance API tests."""

from tests.api.conftest import client, make_client  # noqa: F401

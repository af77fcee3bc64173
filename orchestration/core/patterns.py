"""Patterns the pandera schemas of every domain check identifiers against (pure: no Dagster)."""

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
"""A lower-case UUID as Postgres renders it."""

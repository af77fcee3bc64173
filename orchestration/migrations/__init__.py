"""Alembic migrations of the whole warehouse schema (core and every domain), applied by `calcbridge db up`."""

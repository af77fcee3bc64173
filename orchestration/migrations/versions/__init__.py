"""One Alembic revision per module; a new domain adds one here."""

"""API keys: `cb_<key_id>_<secret>`; only sha256(secret) is stored, in ops.api_keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.core.schema import api_keys
from orchestration.core.settings import TENANT_PATTERN

KEY_PREFIX = "cb_"
KEY_PATTERN = re.compile(r"^cb_(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{32,128})$")


@dataclass(frozen=True)
class ParsedKey:
    """A presented key split into its lookup handle and its secret."""

    key_id: str
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret part."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(key: str) -> ParsedKey | None:
    """Split a presented key, or None when it is not shaped like one of ours."""
    match = KEY_PATTERN.match(key)
    if match is None:
        return None
    return ParsedKey(key_id=match["key_id"], secret=match["secret"])


def create_api_key(engine: Engine, tenant_id: str, name: str) -> str:
    """Create a key for `tenant_id` and return it; the full key is shown only this once."""
    if not TENANT_PATTERN.match(tenant_id):
        raise ValueError(f"invalid tenant id {tenant_id!r}: lowercase letters, digits, '-' and '_' only")
    if not name.strip():
        raise ValueError("an API key needs a name")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(api_keys).values(key_id=key_id, tenant_id=tenant_id, name=name, key_hash=hash_secret(secret))
        )
    return f"{KEY_PREFIX}{key_id}_{secret}"


def revoke_api_key(engine: Engine, key_id: str) -> bool:
    """Mark a key revoked; True when a live key was revoked."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=sa.func.now())
        )
    return result.rowcount > 0

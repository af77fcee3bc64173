"""Record what the landing sensors saw in `ops.landing_log`, and resolve a partition back to its file.

The landing and archive roots are folders or `s3://` prefixes; `archive_path` holds a file name or an `s3://`
URL, and `read_archived` reads either, so a run needs the archive store, never the sensor host's disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine
from upath import UPath

from orchestration.core import objectstore
from orchestration.core.landing import Accepted, Rejected
from orchestration.core.schema import landing_log, sensor_cursors


@dataclass(frozen=True)
class LandedRecord:
    """The accepted landing behind one partition."""

    tenant_id: str
    domain: str
    file_name: str
    relative_path: str
    sha256: str
    size_bytes: int
    partition_key: str
    archive_path: Path | UPath
    """The archived copy: a file, or an `s3://` object."""
    sidecar: dict[str, Any] | None
    landed_at: Any


def _storable(text: str | None) -> str | None:
    """Text Postgres can hold: a name that is not UTF-8 keeps its odd bytes as backslash escapes."""
    return None if text is None else text.encode("utf-8", "backslashreplace").decode("utf-8")


def _accepted_observations(
    engine: Engine, domain: str, partition_keys: Iterable[str]
) -> dict[str, set[tuple[str, Any]]]:
    """For each partition key already accepted, the (relative_path, landed_at) observations behind it."""
    keys = list(partition_keys)
    if not keys:
        return {}
    query = sa.select(landing_log.c.partition_key, landing_log.c.relative_path, landing_log.c.landed_at).where(
        landing_log.c.domain == domain,
        landing_log.c.status == "accepted",
        landing_log.c.partition_key.in_(keys),
    )
    seen: dict[str, set[tuple[str, Any]]] = {}
    with engine.connect() as conn:
        for key, path, landed_at in conn.execute(query).tuples():
            seen.setdefault(key, set()).add((path, landed_at))
    return seen


def record(
    engine: Engine, domain: str, accepted: list[Accepted], rejected: list[Rejected]
) -> tuple[list[Accepted], list[Accepted]]:
    """Log one evaluation; return (to_run, duplicates).

    Logging is idempotent per observation (domain, path, arrival time): the daemon's sensor and
    `calcbridge process` keep their own cursors and may both see a file, which is logged once. A
    duplicate is the same content this tenant already landed here through another file or arrival.
    """
    seen = _accepted_observations(engine, domain, (a.partition_key for a in accepted))
    to_run: list[Accepted] = []
    duplicates: list[Accepted] = []
    rows: list[dict[str, Any]] = []
    for item in accepted:
        c = item.candidate
        observation = (c.relative_path, c.landed_at)
        earlier = seen.get(item.partition_key, set())
        is_dup = bool(earlier) and observation not in earlier
        (duplicates if is_dup else to_run).append(item)
        seen.setdefault(item.partition_key, set()).add(observation)
        rows.append(
            {
                "tenant_id": c.tenant_id,
                "domain": domain,
                "relative_path": c.relative_path,
                "file_name": c.file_name,
                "status": "duplicate" if is_dup else "accepted",
                "reason_code": "DUPLICATE_CONTENT" if is_dup else None,
                "reason": f"same content as partition {item.partition_key}, already landed" if is_dup else None,
                "sha256": item.sha256,
                "size_bytes": c.size_bytes,
                "partition_key": item.partition_key,
                "archive_path": str(item.archive_path),
                "sidecar": item.sidecar,
                "landed_at": c.landed_at,
            }
        )
    for reject in rejected:
        c = reject.candidate
        rows.append(
            {
                "tenant_id": _storable(c.tenant_id),
                "domain": domain,
                "relative_path": _storable(c.relative_path),
                "file_name": _storable(c.file_name),
                "status": "rejected",
                "reason_code": reject.code,
                "reason": _storable(reject.reason),
                "sha256": reject.sha256,
                "size_bytes": c.size_bytes,
                "partition_key": None,
                "archive_path": None,
                "sidecar": None,
                "landed_at": c.landed_at,
            }
        )
    if rows:
        stmt = insert(landing_log).on_conflict_do_nothing(index_elements=["domain", "relative_path", "landed_at"])
        with engine.begin() as conn:
            conn.execute(stmt, rows)
    return to_run, duplicates


def lookup(engine: Engine, domain: str, partition_key: str) -> LandedRecord | None:
    """The first accepted landing of a partition (the file that created it)."""
    query = (
        sa.select(landing_log)
        .where(
            landing_log.c.domain == domain,
            landing_log.c.partition_key == partition_key,
            landing_log.c.status == "accepted",
        )
        .order_by(landing_log.c.landing_id)
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return LandedRecord(
        tenant_id=row["tenant_id"],
        domain=row["domain"],
        file_name=row["file_name"],
        relative_path=row["relative_path"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        partition_key=row["partition_key"],
        archive_path=objectstore.as_root(row["archive_path"]),
        sidecar=row["sidecar"],
        landed_at=row["landed_at"],
    )


def require(engine: Engine, domain: str, partition_key: str) -> LandedRecord:
    """The landing behind a partition, or the typed LANDING_UNKNOWN_PARTITION error every domain asset raises."""
    from orchestration.core.errors import InputError

    record = lookup(engine, domain, partition_key)
    if record is None:
        raise InputError(
            "LANDING_UNKNOWN_PARTITION", "no accepted landing is logged for this partition", f"{domain}/{partition_key}"
        )
    return record


def read_archived(record: LandedRecord) -> bytes:
    """The archived bytes of a landing, checked against its sha256 (typed ARCHIVE_MISSING / ARCHIVE_CORRUPT)."""
    import hashlib

    from orchestration.core.errors import InputError

    where = f"{record.domain}/{record.partition_key} ({record.file_name})"
    try:
        content = record.archive_path.read_bytes()  # a file, or one GET from the archive store
    except FileNotFoundError as exc:
        raise InputError("ARCHIVE_MISSING", f"archived copy {record.archive_path} is gone", where) from exc
    actual = hashlib.sha256(content).hexdigest()
    if actual != record.sha256:
        raise InputError(
            "ARCHIVE_CORRUPT", f"archived copy hashes to {actual[:16]}…, expected {record.sha256[:16]}…", where
        )
    return content


def load_cursor(engine: Engine, sensor_name: str) -> str | None:
    """Cursor of a sensor evaluated by `calcbridge process`."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sensor_cursors.c.cursor).where(sensor_cursors.c.sensor_name == sensor_name)
        ).scalar_one_or_none()


def save_cursor(engine: Engine, sensor_name: str, cursor: str) -> None:
    """Upsert a sensor cursor."""
    stmt = insert(sensor_cursors).values(sensor_name=sensor_name, cursor=cursor)
    stmt = stmt.on_conflict_do_update(
        index_elements=[sensor_cursors.c.sensor_name], set_={"cursor": cursor, "updated_at": sa.func.now()}
    )
    with engine.begin() as conn:
        conn.execute(stmt)


@dataclass(frozen=True)
class FileRunRequest:
    """One run the landing sensor asks for: a partition, its idempotent run key and its tags."""

    run_key: str
    partition_key: str
    tags: dict[str, str]


@dataclass
class Evaluation:
    """The outcome of one landing-sensor evaluation."""

    requests: list[FileRunRequest]
    rejected: list[Rejected]
    duplicates: list[Accepted]
    cursor: str


def logged(engine: Engine, domain: str) -> Callable[[list[tuple[str, Any]]], set[tuple[str, Any]]]:
    """Which (relative_path, landed_at) observations of `domain` ops.landing_log holds (its unique index)."""

    def seen(observations: list[tuple[str, Any]]) -> set[tuple[str, Any]]:
        found: set[tuple[str, Any]] = set()
        pair = sa.tuple_(landing_log.c.relative_path, landing_log.c.landed_at)
        with engine.connect() as conn:
            for start in range(0, len(observations), 1000):
                batch = observations[start : start + 1000]
                query = sa.select(landing_log.c.relative_path, landing_log.c.landed_at).where(
                    landing_log.c.domain == domain, pair.in_(batch)
                )
                found.update((path, at) for path, at in conn.execute(query).tuples())
        return found

    return seen


def evaluate(
    engine: Engine,
    domain: str,
    cursor: str | None,
    *,
    landing_root: Path | UPath,
    archive_root: Path | UPath,
    settle_seconds: float,
    now_ns: int | None = None,
    max_bytes: Mapping[str, int] | None = None,
    max_files: int | None = None,
    sweep_keys: int | None = None,
    tick_seconds: float | None = None,
) -> Evaluation:
    """Scan, archive and log new files of one domain; one run request per accepted (tenant, content).

    Re-evaluated files are requested again with the same run key: Dagster skips a run key it has
    seen, and a tick that failed after logging still gets its run when the file is seen again.
    Links, unreadable files and files over their size limit (`max_bytes`, else the settings'
    `landing_max_bytes`) are logged as rejections and never requested. `max_files` and `tick_seconds` bound the
    files one evaluation archives (the rest are the next one's); `sweep_keys` bounds an object store's
    re-listing (core/landing_objects.py; None lists the whole domain). None: no bound (`calcbridge process`).
    """
    import time

    from orchestration.core.landing import LandingCursor, scan_landing
    from orchestration.core.landing_objects import ObjectCursor, scan_objects
    from orchestration.core.settings import get_settings

    now = now_ns if now_ns is not None else time.time_ns()
    deadline = None if tick_seconds is None else time.monotonic() + tick_seconds
    limits = get_settings().landing_max_bytes if max_bytes is None else max_bytes
    if objectstore.is_object_root(landing_root):
        result: Any = scan_objects(
            landing_root,  # type: ignore[arg-type]
            archive_root,
            domain,
            ObjectCursor.from_json(cursor),
            now_ns=now,
            settle_seconds=settle_seconds,
            seen=logged(engine, domain),
            max_bytes=limits,
            max_files=max_files,
            sweep_keys=sweep_keys,
            deadline=deadline,
        )
    else:
        assert isinstance(landing_root, Path)
        result = scan_landing(
            landing_root,
            archive_root,
            domain,
            LandingCursor.from_json(cursor),
            now_ns=now,
            settle_seconds=settle_seconds,
            max_bytes=limits,
            max_files=max_files,
            deadline=deadline,
        )
    to_run, duplicates = record(engine, domain, result.accepted, result.rejected)
    requests: dict[str, FileRunRequest] = {}
    for item in to_run + duplicates:
        requests.setdefault(
            item.run_key,
            FileRunRequest(
                run_key=item.run_key,
                partition_key=item.partition_key,
                tags={
                    "tenant": item.candidate.tenant_id,
                    "domain": domain,
                    "calcbridge/file_name": item.candidate.file_name,
                    "calcbridge/sha256": item.sha256,
                },
            ),
        )
    return Evaluation(list(requests.values()), result.rejected, duplicates, result.cursor.to_json())


def landed_frame(record: LandedRecord) -> Any:
    """The `landed_files` row of a partition, after checking the archived copy still has its hash."""
    import pandas as pd

    read_archived(record)
    return pd.DataFrame(
        [
            {
                "domain": record.domain,
                "file_name": record.file_name,
                "sha256": record.sha256,
                "size_bytes": record.size_bytes,
                "landed_at": record.landed_at,
                "archive_path": str(record.archive_path),
                "sidecar": record.sidecar,
                "status": "accepted",
            }
        ]
    )

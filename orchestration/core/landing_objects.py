"""The landing zone on an object store (`s3://bucket/prefix`): list only what is new, then apply every landing rule.

Layout and rules are the folder's (`<root>/<tenant>/<domain>/<file>`, sidecars first, tenant slugs, names,
extensions, size limits, settling; `core/landing.py`): only listing and reading differ. An object store has
no links, FIFOs or modes, so those refusals have no counterpart here. Pure: no Dagster.

S3 lists keys in byte order, not in order of arrival, and has no "modified since" filter, so the cursor has
two parts, and an observation is (key, last-modified):

- **tails**: per `<tenant>/<domain>/` prefix, the greatest key already listed. A tick lists only the keys after
  it (ListObjectsV2 `StartAfter`): a file whose name sorts after the earlier ones (dated or timestamped names)
  is found on the next tick for one request per tenant. A tail stops before the first key that has not
  settled, so that key is listed again.
- **sweep**: a rolling re-listing of the domain, `sweep_keys` keys per tick from where the previous tick
  stopped, wrapping round. It finds what a tail cannot: a name that sorts before one already listed, an object
  overwritten under its key (a new last-modified). With N keys in a domain such a file waits at most
  ceil(N / sweep_keys) + 1 ticks; `sweep_keys=None` (`calcbridge process`) re-lists the whole domain at once.

Observations already in ops.landing_log (`seen`) are never evaluated again, so tails and sweep may overlap,
and a tick that failed after archiving re-evaluates rather than losing a file. A file up to 8 MiB costs three
requests: GET its sidecar, GET it, PUT its archived copy.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from upath import UPath

from orchestration.core import objectstore, safe_files
from orchestration.core.errors import InputError
from orchestration.core.landing import (
    IGNORED_SUFFIXES,
    Accepted,
    Candidate,
    Rejected,
    evaluate_all,
    outcome,
    precheck,
)
from orchestration.core.objectstore import StoredObject, StoreError
from orchestration.core.settings import DOMAINS
from orchestration.core.sidecars import SIDECAR_MAX_BYTES, SIDECAR_SUFFIX, read_sidecar

PAST_FOLDER = "\U0010ffff"
"""Appended to a sub-folder's prefix, a `StartAfter` that skips every key beneath it (the largest code point)."""
Observation = tuple[str, Any]
"""(relative_path, landed_at): what ops.landing_log keys a landing by."""
Seen = Callable[[list[Observation]], set[Observation]]
"""Which of these observations are logged already."""


@dataclass
class ObjectCursor:
    """Where the listing of one domain stands: each tenant's tail key and the sweep's (tenant, key)."""

    tails: dict[str, str] = field(default_factory=dict)
    sweep: tuple[str, str] | None = None

    def to_json(self) -> str:
        sweep = list(self.sweep) if self.sweep else None
        return json.dumps({"v": 2, "store": "objects", "tails": dict(sorted(self.tails.items())), "sweep": sweep})

    @classmethod
    def from_json(cls, raw: str | None) -> ObjectCursor:
        """The cursor a tick left; a folder cursor (the root was a folder before) starts afresh."""
        data = json.loads(raw) if raw else {}
        if data.get("store") != "objects":
            return cls()
        sweep = data.get("sweep")
        return cls(dict(data.get("tails", {})), (sweep[0], sweep[1]) if sweep else None)


@dataclass
class ObjectScan:
    """What one evaluation found: accepted files, rejections, the next cursor, and how many keys it listed."""

    accepted: list[Accepted]
    rejected: list[Rejected]
    cursor: ObjectCursor
    listed: int = 0


@dataclass
class _Walk:
    """The keys one listing went through, in order: (tenant, key, candidate when it needs evaluating)."""

    steps: list[tuple[str, str, Candidate | None]] = field(default_factory=list)
    complete: bool = False
    """The listing reached the end of the domain (a sweep wraps round)."""


def _candidate(root: UPath, tenant: str, domain: str, item: StoredObject) -> Candidate | None:
    """The candidate for a listed object; None for what the folder scan skips too (hidden, sidecar, partial)."""
    name = item.key.rpartition("/")[2]
    if not name or name.startswith(".") or name.endswith((SIDECAR_SUFFIX, *IGNORED_SUFFIXES)):
        return None
    path = objectstore.object_path(root, item.key)
    return Candidate(tenant, domain, f"{tenant}/{domain}/{name}", path, item.modified_ns, item.size)


def _tenants(root: UPath) -> list[str]:
    """The tenant folders under the root (files directly under it are no tenant's and are ignored)."""
    _, prefix = objectstore.bucket_and_key(root)
    return [p[len(prefix) : -1] for p in objectstore.list_level(root, prefix) if isinstance(p, str)]


def _folder(root: UPath, tenant: str, domain: str) -> str:
    return f"{objectstore.bucket_and_key(root)[1]}{tenant}/{domain}/"


def _tail(root: UPath, tenant: str, domain: str, after: str | None, settled_before: int) -> _Walk:
    """The keys after `after` in one tenant's domain folder, up to the first one that has not settled."""
    walk = _Walk()
    for item in objectstore.list_level(root, _folder(root, tenant, domain), start_after=after):
        if isinstance(item, str):
            continue  # a sub-folder: never scanned, as in a landing folder
        if item.modified_ns > settled_before:
            return walk
        walk.steps.append((tenant, item.key, _candidate(root, tenant, domain, item)))
    walk.complete = True
    return walk


def _sweep(
    root: UPath, tenants: list[str], domain: str, start: tuple[str, str] | None, budget: int | None, settled: int
) -> _Walk:
    """Up to `budget` keys of the domain after `start`, tenant by tenant; `complete` when it reached the end."""
    walk = _Walk()
    first, after = start if start else (None, None)
    for tenant in tenants:
        if first is not None and tenant < first:
            continue
        left = None if budget is None else budget - len(walk.steps)
        start_after = after if tenant == first else None
        listing = objectstore.list_level(root, _folder(root, tenant, domain), start_after=start_after, max_keys=left)
        for item in listing:
            if isinstance(item, str):  # a sub-folder (never scanned): resume after everything beneath it
                walk.steps.append((tenant, item + PAST_FOLDER, None))
                continue
            fresh = item.modified_ns <= settled
            walk.steps.append((tenant, item.key, _candidate(root, tenant, domain, item) if fresh else None))
        if budget is not None and len(walk.steps) >= budget:
            return walk  # the budget ran out (perhaps with the tenant's last key): the next tick goes on after it
    walk.complete = True
    return walk


def list_objects(root: UPath, domain: str) -> list[Candidate]:
    """Every candidate of a domain in one full listing, nothing read: the object store's `list_candidates`."""
    walk = _sweep(root, _tenants(root), domain, None, None, settled=2**63)
    return [c for _, _, c in walk.steps if c is not None]


def _unseen(candidates: list[Candidate], seen: Seen | None) -> list[Candidate]:
    """The candidates whose observation is not logged yet (each observation once)."""
    unique = {(c.relative_path, c.landed_at): c for c in candidates}
    logged = seen(list(unique)) if seen is not None and unique else set()
    return [c for key, c in unique.items() if key not in logged]


def _stop(walk: _Walk, done: set[Observation]) -> tuple[tuple[str, str] | None, bool]:
    """How far a walk got: its last step before the first candidate left unevaluated, and whether that is its end."""
    last: tuple[str, str] | None = None
    for tenant, key, candidate in walk.steps:
        if candidate is not None and (candidate.relative_path, candidate.landed_at) not in done:
            return last, False
        last = (tenant, key)
    return last, walk.complete


def scan_objects(
    landing_root: UPath,
    archive_root: Path | UPath,
    domain: str,
    cursor: ObjectCursor,
    *,
    now_ns: int,
    settle_seconds: float,
    seen: Seen | None = None,
    max_bytes: Mapping[str, int] | None = None,
    max_files: int | None = None,
    sweep_keys: int | None = None,
    deadline: float | None = None,
) -> ObjectScan:
    """Evaluate the new, settled objects of one domain, oldest first; return the next cursor.

    At most `max_files`, and none started after `deadline` (time.monotonic; always one), as `scan_landing`.

    Whatever goes wrong with one object is its rejection; a store that cannot be listed or read (StoreError)
    or an archive that cannot be written (ArchiveError) stops the scan before the cursor moves.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}")
    settled_before = now_ns - int(settle_seconds * 1e9)
    tenants = _tenants(landing_root)
    full = sweep_keys is None  # one pass over everything: the tails would only list it twice
    tails = {} if full else {t: _tail(landing_root, t, domain, cursor.tails.get(t), settled_before) for t in tenants}
    sweep = _sweep(landing_root, tenants, domain, None if full else cursor.sweep, sweep_keys, settled_before)
    walks = [*tails.values(), sweep]
    fresh = _unseen([c for w in walks for _, _, c in w.steps if c is not None], seen)
    fresh.sort(key=lambda c: (c.arrived_ns, c.relative_path))
    accepted, rejected = evaluate_all(fresh[:max_files], archive_root, max_bytes, evaluate_object, deadline)
    left = {(c.relative_path, c.landed_at) for c in fresh[len(accepted) + len(rejected) :]}
    done = {(c.relative_path, c.landed_at) for w in walks for _, _, c in w.steps if c is not None} - left
    next_cursor = ObjectCursor(dict(cursor.tails), cursor.sweep)
    for tenant, walk in tails.items():
        last, _ = _stop(walk, done)
        if last is not None:
            next_cursor.tails[tenant] = last[1]
    if not full:
        last, finished = _stop(sweep, done)
        next_cursor.sweep = None if finished else (last or cursor.sweep)
    listed = sum(len(w.steps) for w in walks) + len(tenants)
    return ObjectScan(accepted, rejected, next_cursor, listed)


class _Guarded:
    """A landed object being read: a missing or forbidden object stays the file's, any other fault the store's."""

    def __init__(self, handle: IO[bytes], where: str) -> None:
        self._handle, self._where = handle, where

    def read(self, size: int = -1) -> bytes:
        return _store_faults(lambda: self._handle.read(size), self._where)

    def close(self) -> None:
        self._handle.close()


def _store_faults(call: Callable[[], Any], where: str) -> Any:
    try:
        return call()
    except (FileNotFoundError, PermissionError, InputError, StoreError):
        raise
    except Exception as exc:  # the store could not be reached or failed: retry the tick, never reject the file
        raise StoreError(f"reading {where}: {type(exc).__name__}: {exc}") from exc


def evaluate_object(
    candidate: Candidate, archive_root: Path | UPath, *, max_bytes: Mapping[str, int] | None = None
) -> Accepted | Rejected:
    """Validate one object and archive it, as `landing.evaluate_candidate` does for a file."""
    limit = precheck(candidate, max_bytes)
    if isinstance(limit, Rejected):
        return limit
    path: UPath = candidate.path  # type: ignore[assignment]
    side = candidate.file_name + SIDECAR_SUFFIX
    sidecar_object = path.with_name(side)
    try:
        sidecar = read_sidecar(
            lambda: _store_faults(
                lambda: objectstore.read_object(sidecar_object, limit=SIDECAR_MAX_BYTES, where=side), side
            ),
            side,
        )
        if candidate.size_bytes <= objectstore.SMALL_OBJECT_BYTES:  # one GET (up to the limit, if it grew)
            whole = _store_faults(lambda: objectstore.read_object(path, limit=limit, where=side), str(path))
            source: Any = io.BytesIO(whole)
        else:
            source = _Guarded(_store_faults(lambda: objectstore.open_object(path), str(path)), str(path))
        try:
            sha, archived, size = safe_files.archive_stream(source, candidate.file_name, archive_root, limit)
        finally:
            source.close()
    except InputError as refusal:
        return Rejected(candidate, refusal.code, f"{candidate.file_name}: {refusal.message}")
    except (FileNotFoundError, PermissionError) as exc:
        return Rejected(candidate, "UNREADABLE_FILE", f"cannot read {candidate.file_name}: {exc}")
    return outcome(candidate, sha, archived, size, sidecar)

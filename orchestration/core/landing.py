"""The landing zone: find newly arrived files, validate them, archive them by content hash.

Pure file-system logic with no Dagster import; the sensors and `calcbridge process` both call
`scan_landing`, and record its outcome through `orchestration.core.landing_log`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestration.core.settings import DOMAINS, TENANT_PATTERN

SIDECAR_SUFFIX = ".meta.json"
SUPPORTED_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "clo": (".xlsx", ".xlsm", ".csv"),
    "trustee": (".xlsx", ".xlsm", ".csv"),
    "geneva": (".xml",),
    "bloomberg": (".xlsx", ".xlsm", ".csv"),
    "resolutions": (".csv", ".json"),
    "scenarios": (".yaml", ".yml", ".json"),
    "equity": (".csv",),
    "covenants": (".json", ".csv"),
    "performance": (".json",),
    "pnl": (".csv", ".json"),
}
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload")
MAX_FILE_BYTES = 200 * 1024 * 1024
"""Larger files are rejected (WORKBOOK_TOO_LARGE in seed 000 terms) rather than read into memory."""


class SidecarMetadata(BaseModel):
    """`metadata` inside a sidecar: the seed's upload fields."""

    model_config = ConfigDict(extra="allow")
    report_date: dt.date | None = None
    source: str | None = None


class Sidecar(BaseModel):
    """A `<file>.meta.json`: seed 000's upload fields; domains may add their own keys (kept as given)."""

    model_config = ConfigDict(extra="allow")
    name: str | None = None
    mapping_profile_id: str | None = None
    tags: list[str] = []
    metadata: SidecarMetadata | None = None
    compliance_profile: str | None = None
    deal: dict[str, Any] | None = None


@dataclass(frozen=True)
class Candidate:
    """A file seen in `landing/<tenant>/<domain>/`."""

    tenant_id: str
    domain: str
    relative_path: str
    path: Path
    arrived_ns: int
    size_bytes: int

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def landed_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.arrived_ns / 1e9, tz=dt.UTC)


@dataclass(frozen=True)
class Accepted:
    """A file archived and ready to become a partition."""

    candidate: Candidate
    sha256: str
    archive_path: Path
    sidecar: dict[str, Any] | None

    @property
    def partition_key(self) -> str:
        return partition_key_for(self.candidate.tenant_id, self.sha256)

    @property
    def run_key(self) -> str:
        return run_key_for(self.candidate.tenant_id, self.sha256)


@dataclass(frozen=True)
class Rejected:
    """A file that will not be processed, with a typed reason."""

    candidate: Candidate
    code: str
    reason: str
    sha256: str | None = None


@dataclass
class LandingCursor:
    """High-water mark of arrival time (max of mtime and ctime, so moved-in old files still count)."""

    arrived_ns: int = 0
    at_mark: list[str] = field(default_factory=list)

    def is_new(self, candidate: Candidate) -> bool:
        if candidate.arrived_ns != self.arrived_ns:
            return candidate.arrived_ns > self.arrived_ns
        return candidate.relative_path not in self.at_mark

    def advance(self, candidate: Candidate) -> None:
        if candidate.arrived_ns > self.arrived_ns:
            self.arrived_ns, self.at_mark = candidate.arrived_ns, [candidate.relative_path]
        elif candidate.arrived_ns == self.arrived_ns and candidate.relative_path not in self.at_mark:
            self.at_mark.append(candidate.relative_path)

    def to_json(self) -> str:
        return json.dumps({"v": 1, "arrived_ns": self.arrived_ns, "at_mark": sorted(self.at_mark)})

    @classmethod
    def from_json(cls, raw: str | None) -> LandingCursor:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(arrived_ns=int(data["arrived_ns"]), at_mark=list(data.get("at_mark", [])))


@dataclass
class ScanResult:
    """What one evaluation found: accepted files (one partition each), rejections, the next cursor."""

    accepted: list[Accepted]
    rejected: list[Rejected]
    cursor: LandingCursor


def partition_key_for(tenant_id: str, sha256: str) -> str:
    """One partition per (tenant, content): `<tenant>.<first 16 hex of sha256>`."""
    return f"{tenant_id}.{sha256[:16]}"


def run_key_for(tenant_id: str, sha256: str) -> str:
    """Run key from tenant + content hash, so the same file landing twice runs once."""
    return f"{tenant_id}:{sha256}"


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _arrived_ns(stat: os.stat_result) -> int:
    return max(stat.st_mtime_ns, stat.st_ctime_ns)


def list_candidates(landing_root: Path, domain: str) -> Iterator[Candidate]:
    """Every data file under `landing/*/<domain>/` (sidecars, hidden and partial files skipped)."""
    if not landing_root.is_dir():
        return
    for tenant_dir in sorted(p for p in landing_root.iterdir() if p.is_dir()):
        domain_dir = tenant_dir / domain
        if not domain_dir.is_dir():
            continue
        for path in sorted(domain_dir.iterdir()):
            if not path.is_file() or path.name.startswith(".") or is_sidecar(path):
                continue
            if path.name.endswith(IGNORED_SUFFIXES):
                continue
            stat = path.stat()
            yield Candidate(
                tenant_id=tenant_dir.name,
                domain=domain,
                relative_path=str(path.relative_to(landing_root)),
                path=path,
                arrived_ns=_arrived_ns(stat),
                size_bytes=stat.st_size,
            )


def archive_file(source: Path, archive_root: Path) -> tuple[str, Path]:
    """Copy `source` into the content-addressed archive, hashing as it copies; return (sha256, path)."""
    archive_root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with source.open("rb") as src, tempfile.NamedTemporaryFile(dir=archive_root, delete=False, suffix=".part") as tmp:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
            tmp.write(chunk)
    sha = digest.hexdigest()
    target = archive_root / sha[:2] / f"{sha}{source.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.unlink(tmp.name)
    else:
        os.replace(tmp.name, target)
    return sha, target


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """Parse and validate a sidecar; None when absent. Raises ValueError with a readable reason."""
    side = sidecar_path(path)
    if not side.exists():
        return None
    try:
        raw = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{side.name} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{side.name} must hold a JSON object, not {type(raw).__name__}")
    try:
        Sidecar.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{side.name}: {problems}") from exc
    return raw


def evaluate_candidate(candidate: Candidate, archive_root: Path) -> Accepted | Rejected:
    """Validate one file and archive it; every problem becomes a typed rejection, never an exception."""
    if not TENANT_PATTERN.match(candidate.tenant_id):
        return Rejected(candidate, "INVALID_TENANT", f"tenant folder {candidate.tenant_id!r} is not a lowercase slug")
    suffix = candidate.path.suffix.lower()
    allowed = SUPPORTED_EXTENSIONS[candidate.domain]
    if suffix not in allowed:
        return Rejected(
            candidate,
            "UNSUPPORTED_EXTENSION",
            f"{suffix or 'no extension'} is not accepted in {candidate.domain}/ (accepted: {', '.join(allowed)})",
        )
    if candidate.size_bytes > MAX_FILE_BYTES:
        return Rejected(candidate, "FILE_TOO_LARGE", f"{candidate.size_bytes} bytes exceeds {MAX_FILE_BYTES}")
    try:
        sidecar = read_sidecar(candidate.path)
    except ValueError as exc:
        return Rejected(candidate, "INVALID_SIDECAR", str(exc))
    try:
        sha, archived = archive_file(candidate.path, archive_root)
    except OSError as exc:
        return Rejected(candidate, "UNREADABLE_FILE", f"cannot read {candidate.file_name}: {exc.strerror or exc}")
    if candidate.size_bytes == 0:
        return Rejected(candidate, "EMPTY_FILE", f"{candidate.file_name} is empty", sha256=sha)
    return Accepted(candidate, sha, archived, sidecar)


def scan_landing(
    landing_root: Path,
    archive_root: Path,
    domain: str,
    cursor: LandingCursor,
    *,
    now_ns: int,
    settle_seconds: float,
) -> ScanResult:
    """Evaluate every file that arrived after `cursor` and has settled; return results and the new cursor."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}")
    settled_before = now_ns - int(settle_seconds * 1e9)
    fresh = [c for c in list_candidates(landing_root, domain) if cursor.is_new(c) and c.arrived_ns <= settled_before]
    fresh.sort(key=lambda c: (c.arrived_ns, c.relative_path))
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    next_cursor = LandingCursor(cursor.arrived_ns, list(cursor.at_mark))
    for candidate in fresh:
        outcome = evaluate_candidate(candidate, archive_root)
        (accepted if isinstance(outcome, Accepted) else rejected).append(outcome)  # type: ignore[arg-type]
        next_cursor.advance(candidate)
    return ScanResult(accepted, rejected, next_cursor)


def copy_into_landing(source: Path, landing_root: Path, tenant_id: str, domain: str) -> Path:
    """Copy a file (and its sidecar first) into the landing zone atomically, as `calcbridge ingest` does."""
    if not TENANT_PATTERN.match(tenant_id):
        raise ValueError(f"tenant {tenant_id!r} must be a lowercase slug ([a-z0-9_-], at most 63 characters)")
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}")
    target_dir = landing_root / tenant_id / domain
    target_dir.mkdir(parents=True, exist_ok=True)
    side = sidecar_path(source)
    for src in ([side] if side.exists() else []) + [source]:
        fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".", suffix=".part")
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, target_dir / src.name)
    return target_dir / source.name

"""The landing zone: find newly arrived files, validate them, archive them by content hash.

Pure file-system logic with no Dagster import; the sensors and `calcbridge process` both call
`scan_landing` (a folder; `core/landing_objects.py` scans an `s3://` root with the same rules), and record its
outcome through `orchestration.core.landing_log`. The zone is written by tenants, so nothing here follows a
symbolic link: links are listed as refusals, files are opened beneath the landing root one folder at a time
with `O_NOFOLLOW`, and one bad candidate never stops the scan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upath import UPath

from orchestration.core import objectstore, safe_files, safe_parse
from orchestration.core.errors import InputError
from orchestration.core.ingest import copy_into_landing  # noqa: F401 - `calcbridge ingest` and the demos' name
from orchestration.core.settings import DOMAINS, is_tenant_id
from orchestration.core.sidecars import (  # noqa: F401 - the landing zone's names for them
    INVALID_SIDECAR,
    SIDECAR_MAX_BYTES,
    SIDECAR_SUFFIX,
    Sidecar,
    SidecarMetadata,
    is_sidecar,
    read_sidecar,
    sidecar_path,
)

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
DEFAULT_MAX_BYTES: dict[str, int] = {
    **dict.fromkeys((".xlsx", ".xlsm", ".csv"), MAX_FILE_BYTES),
    **dict.fromkeys((".yaml", ".yml"), safe_parse.MAX_YAML_BYTES),
    ".json": safe_parse.MAX_JSON_BYTES,
    ".xml": 64 * 1024 * 1024,
}
"""The size limit of each file kind; the JSON and YAML ones are their parsers' own bounds."""
NAME_MAX = 255
"""Longest file name (bytes) the file systems we run on accept: a data file's name leaves room for its sidecar's."""


@dataclass(frozen=True)
class Candidate:
    """A file seen in `landing/<tenant>/<domain>/`."""

    tenant_id: str
    domain: str
    relative_path: str
    path: Path | UPath
    arrived_ns: int
    size_bytes: int
    root: Path | None = None
    """The landing root it was listed under: its folders are opened one by one from here, never through a link."""
    refusal: tuple[str, str] | None = None
    """(code, reason) when listing already refused it: a link, a FIFO, an unreadable folder."""

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
    archive_path: Path | UPath
    """A file in the archive folder, or an `s3://` object in the archive prefix."""
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
        data = json.loads(raw) if raw else {}
        if "arrived_ns" not in data:  # none yet, or an object store's (the root was an s3:// prefix before)
            return cls()
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


def max_bytes_for(domain: str, suffix: str, overrides: Mapping[str, int] | None = None) -> int:
    """The size limit of a `suffix` file in `domain`: `<domain>/<suffix>`, then `<domain>`, then `<suffix>`."""
    limits = {**DEFAULT_MAX_BYTES, **(overrides or {})}
    for key in (f"{domain}/{suffix}", domain, suffix):
        if key in limits:
            return limits[key]
    return MAX_FILE_BYTES


def _arrived_ns(st: os.stat_result) -> int:
    return max(st.st_mtime_ns, st.st_ctime_ns)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as listing:
        return sorted(listing, key=lambda e: e.name)


def _printable(relative: str) -> str:
    """A listed path as text every log and database takes: bytes that are not UTF-8 become backslash escapes."""
    return relative.encode("utf-8", "backslashreplace").decode("utf-8")


def _refused(root: Path, tenant: str, domain: str, relative: str, st: os.stat_result, code: str, why: str) -> Candidate:
    shown = _printable(relative)
    return Candidate(tenant, domain, shown, root / relative, _arrived_ns(st), 0, root, (code, f"{shown} {why}"))


def list_candidates(landing_root: Path, domain: str) -> Iterator[Candidate]:
    """Every data file under `landing/*/<domain>/`, found without following a single link.

    A link (tenant folder, domain folder, file, dangling or not), a FIFO or device and an unreadable folder
    come as candidates carrying their refusal, so they are logged; sidecars, hidden and partial files and
    subfolders are skipped. The landing root itself may be a link (it is configuration, not tenant data).
    """
    if not landing_root.is_dir():
        return
    for tenant in _entries(landing_root):
        try:
            tenant_stat = tenant.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(tenant_stat.st_mode):
            why = "is a symbolic link: a tenant folder must be a folder; nothing under it is read"
            yield _refused(landing_root, tenant.name, domain, tenant.name, tenant_stat, "SYMLINK_REFUSED", why)
        elif stat.S_ISDIR(tenant_stat.st_mode):
            yield from _domain_candidates(landing_root, tenant.name, domain, tenant_stat)


def _domain_candidates(root: Path, tenant: str, domain: str, tenant_stat: os.stat_result) -> Iterator[Candidate]:
    """The candidates of one `landing/<tenant>/<domain>/` folder (see `list_candidates`)."""
    folder, relative = root / tenant / domain, f"{tenant}/{domain}"
    folder_stat = tenant_stat
    try:
        folder_stat = os.lstat(folder)
        if stat.S_ISLNK(folder_stat.st_mode):
            why = "is a symbolic link: a domain folder must be a folder; nothing under it is read"
            yield _refused(root, tenant, domain, relative, folder_stat, "SYMLINK_REFUSED", why)
            return
        entries = _entries(folder) if stat.S_ISDIR(folder_stat.st_mode) else []
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        why = f"cannot be listed: {exc.strerror or exc}"
        yield _refused(root, tenant, domain, relative, folder_stat, "UNREADABLE_FOLDER", why)
        return
    for entry in entries:
        name, path = entry.name, f"{relative}/{entry.name}"
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # gone before it could be looked at: nothing to log, nothing lost
        except OSError as exc:
            yield _refused(root, tenant, domain, path, folder_stat, "UNREADABLE_FILE", f"cannot be read: {exc}")
            continue
        if stat.S_ISLNK(st.st_mode):
            yield _refused(root, tenant, domain, path, st, "SYMLINK_REFUSED", "is a symbolic link: never followed")
        elif stat.S_ISDIR(st.st_mode) or name.startswith(".") or name.endswith((SIDECAR_SUFFIX, *IGNORED_SUFFIXES)):
            continue
        elif not stat.S_ISREG(st.st_mode):
            why = "is not a regular file (a FIFO, socket or device): never opened"
            yield _refused(root, tenant, domain, path, st, "NOT_A_REGULAR_FILE", why)
        else:
            yield Candidate(tenant, domain, _printable(path), folder / name, _arrived_ns(st), st.st_size, root)


def _open_folder(candidate: Candidate) -> int:
    """A descriptor of the candidate's folder, each folder below the landing root opened without following links."""
    path = candidate.path
    assert isinstance(path, Path), "a folder's candidate"  # an object store's are evaluated in landing_objects
    if candidate.root is None:  # built by hand, not listed: only its own name is guarded
        return os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    parts = path.relative_to(candidate.root).parts[:-1]
    return safe_files.open_folder_beneath(candidate.root, parts, where=candidate.relative_path)


def _read_sidecar_at(folder: int, name: str) -> dict[str, Any] | None:
    """Parse and validate the sidecar of `name` in `folder`; None when absent; a typed InputError when unusable."""
    side = name + SIDECAR_SUFFIX
    return read_sidecar(lambda: safe_files.read_regular(side, folder, limit=SIDECAR_MAX_BYTES, where=side), side)


def _check_name(candidate: Candidate) -> Rejected | None:
    """The tenant folder and file name checks: a slug tenant; a UTF-8 name short enough for its sidecar's."""
    if not is_tenant_id(candidate.tenant_id):
        return Rejected(candidate, "INVALID_TENANT", f"tenant folder {candidate.tenant_id!r} is not a lowercase slug")
    name = candidate.file_name
    try:
        length = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return Rejected(candidate, "INVALID_FILE_NAME", f"the file name {name!r} is not UTF-8 text")
    if length + len(SIDECAR_SUFFIX) > NAME_MAX:
        longest = NAME_MAX - len(SIDECAR_SUFFIX)
        why = f"the file name is {length} bytes long: at most {longest}, so that its {SIDECAR_SUFFIX} sidecar's fits"
        return Rejected(candidate, "FILE_NAME_TOO_LONG", why)
    return None


def precheck(candidate: Candidate, max_bytes: Mapping[str, int] | None = None) -> Rejected | int:
    """The rules that need no read: refusal, tenant, name, extension, listed size; else the file's size limit."""
    if candidate.refusal is not None:
        return Rejected(candidate, *candidate.refusal)
    if (bad_name := _check_name(candidate)) is not None:
        return bad_name
    suffix = candidate.path.suffix.lower()
    allowed = SUPPORTED_EXTENSIONS[candidate.domain]
    if suffix not in allowed:
        return Rejected(
            candidate,
            "UNSUPPORTED_EXTENSION",
            f"{suffix or 'no extension'} is not accepted in {candidate.domain}/ (accepted: {', '.join(allowed)})",
        )
    limit = max_bytes_for(candidate.domain, suffix, max_bytes)
    if candidate.size_bytes > limit:
        why = (
            f"{candidate.size_bytes} bytes exceeds the limit of {limit} bytes for {suffix} files in {candidate.domain}/"
        )
        return Rejected(candidate, "FILE_TOO_LARGE", why)
    return limit


def outcome(
    candidate: Candidate, sha: str, archived: Path | UPath, size: int, sidecar: dict[str, Any] | None
) -> Accepted | Rejected:
    """An archived file's verdict: EMPTY_FILE when it holds nothing, else accepted with its size as read."""
    landed = dataclasses.replace(candidate, size_bytes=size)
    if size == 0:
        return Rejected(landed, "EMPTY_FILE", f"{candidate.file_name} is empty", sha256=sha)
    return Accepted(landed, sha, archived, sidecar)


def evaluate_candidate(
    candidate: Candidate, archive_root: Path | UPath, *, max_bytes: Mapping[str, int] | None = None
) -> Accepted | Rejected:
    """Validate one file and archive it; every problem with it becomes a typed rejection, never an exception."""
    limit = precheck(candidate, max_bytes)
    if isinstance(limit, Rejected):
        return limit
    try:
        folder = _open_folder(candidate)
        try:
            sidecar = _read_sidecar_at(folder, candidate.file_name)
            sha, archived, size = safe_files.archive_at(folder, candidate.file_name, archive_root, limit)
        finally:
            os.close(folder)
    except InputError as refusal:
        return Rejected(candidate, refusal.code, f"{candidate.file_name}: {refusal.message}")
    except OSError as exc:
        return Rejected(candidate, "UNREADABLE_FILE", f"cannot read {candidate.file_name}: {exc.strerror or exc}")
    return outcome(candidate, sha, archived, size, sidecar)


def scan_landing(
    landing_root: Path,
    archive_root: Path | UPath,
    domain: str,
    cursor: LandingCursor,
    *,
    now_ns: int,
    settle_seconds: float,
    max_bytes: Mapping[str, int] | None = None,
    max_files: int | None = None,
    deadline: float | None = None,
) -> ScanResult:
    """Evaluate every file that arrived after `cursor` and has settled; return results and the new cursor.

    `max_bytes` overrides the size limits (see `max_bytes_for`). `max_files` and `deadline` (time.monotonic)
    bound a scan: it evaluates files in arrival order, at most `max_files` and none started after `deadline`
    (but always one), and the cursor stops after the last one evaluated; the rest are the next scan's.
    Whatever goes wrong with one candidate is its rejection; only an unwritable archive (safe_files.ArchiveError)
    stops the scan, before the cursor moves.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}")
    settled_before = now_ns - int(settle_seconds * 1e9)
    fresh = [c for c in list_candidates(landing_root, domain) if cursor.is_new(c) and c.arrived_ns <= settled_before]
    fresh.sort(key=lambda c: (c.arrived_ns, c.relative_path))
    next_cursor = LandingCursor(cursor.arrived_ns, list(cursor.at_mark))
    accepted, rejected = evaluate_all(fresh[:max_files], archive_root, max_bytes, evaluate_candidate, deadline)
    for candidate in fresh[: len(accepted) + len(rejected)]:
        next_cursor.advance(candidate)
    return ScanResult(accepted, rejected, next_cursor)


Evaluator = Callable[..., "Accepted | Rejected"]
"""`evaluate_candidate` for a folder, `landing_objects.evaluate_object` for an object store."""


def evaluate_all(
    candidates: list[Candidate],
    archive_root: Path | UPath,
    max_bytes: Mapping[str, int] | None,
    evaluate: Evaluator,
    deadline: float | None = None,
) -> tuple[list[Accepted], list[Rejected]]:
    """Evaluate candidates in order, none started after `deadline` (time.monotonic) but always one.

    A fault nobody foresaw is that candidate's EVALUATION_FAILED; only platform faults stop the whole scan: an
    unwritable archive (safe_files.ArchiveError) or an object store that cannot be reached
    (objectstore.StoreError). The candidates evaluated are the first len(accepted) + len(rejected).
    """
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    for candidate in candidates:
        if deadline is not None and (accepted or rejected) and time.monotonic() >= deadline:
            break  # the tick's time is spent: the rest are the next tick's
        try:
            result = evaluate(candidate, archive_root, max_bytes=max_bytes)
        except (safe_files.ArchiveError, objectstore.StoreError):
            raise
        except Exception as exc:  # a fault we did not foresee stays this candidate's, never everyone's
            result = Rejected(candidate, "EVALUATION_FAILED", f"{type(exc).__name__}: {exc}")
        (accepted if isinstance(result, Accepted) else rejected).append(result)  # type: ignore[arg-type]
    return accepted, rejected

"""Opening landed files without following links, and copying them into the content-addressed archive.

The landing zone is written by tenants: a link points at another tenant's files, a FIFO blocks its reader, a
file may be swapped for a link after it was listed. Every folder below the landing root and every file is
opened here with `O_NOFOLLOW` (files also non-blocking, and checked to be regular). The archive is a folder or an
object-store prefix (`core/objectstore.py`). Pure: no Dagster.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from upath import UPath

from orchestration.core import objectstore
from orchestration.core.errors import InputError
from orchestration.core.safe_parse import FILE_TOO_LARGE

SYMLINK_REFUSED = "SYMLINK_REFUSED"
NOT_A_REGULAR_FILE = "NOT_A_REGULAR_FILE"

_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
SPOOL_BYTES = 16 * 1024 * 1024
"""An object-store archive copy is hashed in memory up to this size, then in a temporary file."""
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""Never through a link; non-blocking, so a FIFO put in a file's place cannot hang its reader."""


def _is_link(name: str, folder: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def open_folder_beneath(root: Path, parts: Sequence[str], *, where: str) -> int:
    """A descriptor of `root/parts…`: `root` as configured, each part below it opened without following a link.

    A part that is (or became) a link is SYMLINK_REFUSED; any other failure is its OSError.
    """
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            try:
                inner = os.open(part, _OPEN_FOLDER, dir_fd=fd)
            except OSError as exc:  # Linux says ENOTDIR for a link opened with O_DIRECTORY | O_NOFOLLOW
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
                    raise InputError(SYMLINK_REFUSED, f"folder {part} on its path is a symbolic link", where) from exc
                raise
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(name: str, folder: int, *, where: str) -> int:
    """`name` in `folder` opened for reading: never through a link, never a FIFO, socket or device."""
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(SYMLINK_REFUSED, "a symbolic link, never followed", where) from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(NOT_A_REGULAR_FILE, "not a regular file (a FIFO, socket or device), never read", where)
    return fd


def read_regular(name: str, folder: int, *, limit: int, where: str) -> bytes:
    """The bytes of `name` in `folder` (opened as `open_regular` does), FILE_TOO_LARGE past `limit`."""
    with os.fdopen(open_regular(name, folder, where=where), "rb") as handle:
        data = handle.read(limit + 1)
        if len(data) > limit:
            size = max(len(data), os.fstat(handle.fileno()).st_size)
            raise InputError(FILE_TOO_LARGE, f"{size} bytes exceeds the limit of {limit} bytes", where)
    return data


class ArchiveError(RuntimeError):
    """The archive could not be written: a platform fault (disk full), so the tick fails and is retried."""


def read_chunk(source: Any, name: str) -> bytes:
    """The next MiB of a landed file; a read error is the file's (UNREADABLE_FILE), not the archive's."""
    try:
        return source.read(1 << 20)
    except OSError as exc:
        raise InputError("UNREADABLE_FILE", f"cannot be read: {exc.strerror or exc}", name) from exc


def copy_hashed(source: Any, sink: Any, name: str, limit: int) -> tuple[str, int]:
    """Copy `source` into `sink`, hashing as it goes; FILE_TOO_LARGE once it passes `limit` (it grew after listing)."""
    digest, size = hashlib.sha256(), 0
    while chunk := read_chunk(source, name):
        size += len(chunk)
        if size > limit:
            raise InputError(FILE_TOO_LARGE, f"grew past {limit} bytes while read", name)
        digest.update(chunk)
        sink.write(chunk)
    return digest.hexdigest(), size


def archive_at(folder: int, name: str, archive_root: Path | UPath, limit: int) -> tuple[str, Path | UPath, int]:
    """Copy `name` into the content-addressed archive, hashing as it copies; return (sha256, path, bytes).

    The copy stops past `limit` (the file grew after listing); a failure to write the archive is ArchiveError.
    """
    source = os.fdopen(open_regular(name, folder, where=name), "rb")  # its OSErrors are the file's
    with source:
        return archive_stream(source, name, archive_root, limit)


def archive_path_for(archive_root: Path | UPath, sha: str, name: str) -> Path | UPath:
    """`<archive>/<sha[:2]>/<sha256><ext>`: where content with this hash is kept, in a folder or an object store."""
    return archive_root / sha[:2] / f"{sha}{Path(name).suffix.lower()}"


def archive_stream(source: Any, name: str, archive_root: Path | UPath, limit: int) -> tuple[str, Path | UPath, int]:
    """Archive what `source` (an open landed file or object) holds; see `archive_at`.

    A folder archive gets a temporary file renamed into place; an object-store archive gets one PUT of the
    hashed bytes (spooled locally first: the key is the hash), which readers see only once complete.
    """
    if objectstore.is_object_root(archive_root):
        return _archive_to_store(source, name, archive_root, limit)  # type: ignore[arg-type]
    assert isinstance(archive_root, Path)
    tmp: Path | None = None
    try:
        archive_root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=archive_root, delete=False, suffix=".part") as sink:
            tmp = Path(sink.name)
            sha, size = copy_hashed(source, sink, name, limit)
        target = archive_root / sha[:2] / f"{sha}{Path(name).suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except OSError as exc:
        raise ArchiveError(f"cannot write the archive {archive_root}: {exc}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return sha, target, size


def _archive_to_store(source: Any, name: str, archive_root: UPath, limit: int) -> tuple[str, UPath, int]:
    """Hash into a local spool, then PUT it under its hash (again, when present: the same bytes, and it repairs)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        try:
            sha, size = copy_hashed(source, spool, name, limit)
            spool.seek(0)
        except OSError as exc:
            raise ArchiveError(f"cannot spool {name} for the archive: {exc}") from exc
        target = archive_path_for(archive_root, sha, name)
        try:
            objectstore.write_object(target, spool)  # type: ignore[arg-type]
        except Exception as exc:  # any failure to store it is the platform's, never the file's
            raise ArchiveError(f"cannot write the archive {archive_root}: {exc}") from exc
    return sha, target, size  # type: ignore[return-value]


def archive_file(source: Path, archive_root: Path | UPath, max_bytes: int) -> tuple[str, Path | UPath]:
    """Archive `source` (not through a link) by content hash; return (sha256, path)."""
    folder = os.open(source.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        sha, target, _ = archive_at(folder, source.name, archive_root, max_bytes)
    finally:
        os.close(folder)
    return sha, target

"""Putting files into the landing zone as `calcbridge ingest` and the demos do: sidecar first, each write atomic."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import overload

from upath import UPath

from orchestration.core import objectstore
from orchestration.core.settings import DOMAINS, is_tenant_id
from orchestration.core.sidecars import sidecar_path


@overload
def copy_into_landing(source: Path, landing_root: Path, tenant_id: str, domain: str) -> Path: ...
@overload
def copy_into_landing(source: Path, landing_root: UPath, tenant_id: str, domain: str) -> UPath: ...
def copy_into_landing(source: Path, landing_root: Path | UPath, tenant_id: str, domain: str) -> Path | UPath:
    """Copy a file (and its sidecar first) into the landing zone atomically, as `calcbridge ingest` does.

    Into a folder: written under a hidden temporary name, then renamed. Into an object store: one PUT each,
    which no listing shows before it completes.
    """
    if not is_tenant_id(tenant_id):
        raise ValueError(f"tenant {tenant_id!r} must be a lowercase slug ([a-z0-9_-], at most 63 characters)")
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}")
    side = sidecar_path(source)
    sources = ([side] if side.exists() else []) + [source]
    if objectstore.is_object_root(landing_root):
        prefix = landing_root / tenant_id / domain
        for src in sources:
            with src.open("rb") as handle:
                objectstore.write_object(prefix / src.name, handle)  # type: ignore[arg-type]
        return prefix / source.name
    assert isinstance(landing_root, Path)
    target_dir = landing_root / tenant_id / domain
    target_dir.mkdir(parents=True, exist_ok=True)
    if (landing_root / tenant_id).is_symlink() or target_dir.is_symlink():
        raise ValueError(f"{target_dir} is reached through a symbolic link: refused (the scan would refuse it too)")
    for src in sources:
        fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".", suffix=".part")
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, target_dir / src.name)
    return target_dir / source.name

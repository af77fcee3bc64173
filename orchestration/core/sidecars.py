"""Sidecars: the `<file>.meta.json` beside a landed file, parsed and validated the same way for every store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestration.core import safe_parse
from orchestration.core.errors import InputError
from orchestration.core.safe_files import SYMLINK_REFUSED

SIDECAR_SUFFIX = ".meta.json"
SIDECAR_MAX_BYTES = 1024 * 1024
INVALID_SIDECAR = "INVALID_SIDECAR"


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


def read_sidecar(read: Callable[[], bytes], side: str) -> dict[str, Any] | None:
    """The sidecar `side` as `read()` gives it, parsed and validated; None when absent (FileNotFoundError).

    Every other problem is a typed InputError: SYMLINK_REFUSED as the reader raised it, else INVALID_SIDECAR.
    """
    try:
        data = read()
        raw = safe_parse.load_json(data, code=INVALID_SIDECAR, where=side, max_bytes=SIDECAR_MAX_BYTES, max_depth=32)
    except FileNotFoundError:
        return None
    except InputError as error:
        code = error.code if error.code == SYMLINK_REFUSED else INVALID_SIDECAR
        raise InputError(code, f"its sidecar {side}: {error.message}", side) from error
    except OSError as exc:
        raise InputError(INVALID_SIDECAR, f"cannot read its sidecar {side}: {exc.strerror or exc}", side) from exc
    if not isinstance(raw, dict):
        raise InputError(INVALID_SIDECAR, f"{side} must hold a JSON object, not {type(raw).__name__}", side)
    if safe_parse.contains_nul(raw):
        raise InputError(INVALID_SIDECAR, f"{side} holds a NUL character (\\u0000)", side)
    try:
        Sidecar.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(INVALID_SIDECAR, f"{side}: {problems}", side) from exc
    return raw


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)

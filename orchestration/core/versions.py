"""Code versions: a digest of the modules and configuration files behind an asset (no Dagster import).

An asset's code version is the digest of its package's pure modules and every pure `orchestration` module they
import (followed transitively through the source, so a change in a shared calculation such as `core/ratings.py`
counts) and of the `assets_config/` files it reads. Wiring is left out: modules that import Dagster, demo
writers, and core's plumbing (`PLUMBING`: connections, locks, landing, the outbox), which move rows and files
without changing a value. The per-file digests are kept too (`inputs`): provenance stores them with each write, and
`calcbridge reproduce` compares them with today's to name the file that changed.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from orchestration.core.settings import PROJECT_ROOT

PACKAGE = "orchestration"
PACKAGE_ROOT = PROJECT_ROOT / PACKAGE
CONFIG_ROOT = PROJECT_ROOT / "assets_config"
WIRING = ("demo", "demo_deal")
"""Modules of a package left out of its code version: they write demo files, they compute nothing."""
PLUMBING = frozenset(
    f"{PACKAGE}.core.{name}"
    for name in (
        "announce", "dlq", "events", "landing", "landing_log", "metadata", "migrate", "objectstore", "partitions",
        "postgres", "progress", "recovery", "safe_files", "schema", "settings", "warehouse", "webhooks", "lineage",
        "versions",
    )
)  # fmt: skip
"""Core modules that move rows and files without changing a value: not part of any code version."""


def _module_path(name: str) -> Path | None:
    """The file of an `orchestration.*` module or package, or None when there is none."""
    relative = Path(*name.split("."))
    for candidate in (PROJECT_ROOT / relative.with_suffix(".py"), PROJECT_ROOT / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_wiring(path: Path) -> bool:
    """Whether a module is Dagster wiring (imports dagster or a dagster_* package) or core plumbing."""
    if _module_name(path) in PLUMBING:
        return True
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        if any(n.split(".")[0] == "dagster" or n.startswith("dagster_") for n in names):
            return True
    return False


def _imports(path: Path) -> set[str]:
    """The `orchestration.*` modules a file imports (`from a import b` counts `a.b` when it is a module)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n == PACKAGE or n.startswith(f"{PACKAGE}.")}


@cache
def module_closure(start: tuple[str, ...]) -> tuple[Path, ...]:
    """Every pure module file reachable by imports from the `start` modules, sorted (the package's code)."""
    seen: set[Path] = set()
    queue = [p for p in (_module_path(n) for n in start) if p is not None]
    while queue:
        path = queue.pop()
        if path in seen or _is_wiring(path):
            continue
        seen.add(path)
        queue.extend(p for p in (_module_path(n) for n in _imports(path)) if p is not None and p not in seen)
    return tuple(sorted(seen))


def package_modules(package: str) -> tuple[str, ...]:
    """The modules of one domain package (`orchestration.clo`), its demo writers left out."""
    folder = PROJECT_ROOT / Path(*package.split("."))
    return tuple(
        sorted(f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem not in WIRING and p.stem != "__init__")
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_files(names: Iterable[str]) -> list[Path]:
    """The files under `assets_config/` named (a file, or every file of a folder), sorted."""
    files: list[Path] = []
    for name in names:
        path = CONFIG_ROOT / name
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return [p for p in files if p.is_file()]


def inputs(package: str, configs: Iterable[str] = ()) -> dict[str, str]:
    """Relative path → sha256 of every module (transitively imported) and config file behind a package's assets."""
    modules = {p.relative_to(PROJECT_ROOT).as_posix(): _digest(p) for p in module_closure(package_modules(package))}
    config = {f"assets_config/{p.relative_to(CONFIG_ROOT).as_posix()}": _digest(p) for p in config_files(configs)}
    return dict(sorted({**modules, **config}.items()))


def version_of(digests: Mapping[str, str]) -> str:
    """The code version: 16 hex of the sha256 over the sorted (path, digest) pairs."""
    body = "\n".join(f"{path} {digest}" for path, digest in sorted(digests.items()))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def changed(recorded: Mapping[str, str], current: Mapping[str, str]) -> dict[str, str]:
    """What differs between two `inputs`: path → `changed` | `added` | `removed`."""
    out = {p: "changed" for p in recorded.keys() & current.keys() if recorded[p] != current[p]}
    out.update(dict.fromkeys(current.keys() - recorded.keys(), "added"))
    out.update(dict.fromkeys(recorded.keys() - current.keys(), "removed"))
    return dict(sorted(out.items()))

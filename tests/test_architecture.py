"""The layering rules of DESIGN.md §3 and the domain template, enforced.

The import-linter contracts in pyproject.toml hold, and every domain package has the same shape.

core imports no domain; a domain's pure modules import no Dagster, directly or through another module;
no package or module of `orchestration` or `api` is in an import cycle.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from orchestration.core.settings import PROJECT_ROOT

WIRING_MODULES = frozenset({"__init__", "assets", "definitions", "resources", "sensors"})
"""The modules of a domain that may import Dagster; every other module is a pure calculation or I/O."""

DOMAIN_PACKAGES = ("clo", "compliance", "reconciliation", "reports", "equity", "covenants", "performance", "ops")


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == contract_id)


def test_the_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    contracts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert len(contracts) == 4
    assert f"{len(contracts)} kept, 0 broken" in result.stdout


def test_the_api_contract_forbids_every_domain_package():
    """The API imports no domain package (a new domain must be added to the contract); it reads the marts."""
    forbidden = set(_contract("api-reads-marts")["forbidden_modules"])
    assert {f"orchestration.{d}" for d in DOMAIN_PACKAGES} <= forbidden
    assert _contract("api-reads-marts").get("ignore_imports") is None


def test_the_pure_module_contract_names_every_pure_module():
    expected = {
        f"orchestration.{package}.{path.stem}"
        for package in DOMAIN_PACKAGES
        for path in (PROJECT_ROOT / "orchestration" / package).glob("*.py")
        if path.stem not in WIRING_MODULES
    } | {  # a pure subpackage (clo/mapping/) is named once: the contract covers its modules
        f"orchestration.{package}.{path.parent.name}"
        for package in DOMAIN_PACKAGES
        for path in (PROJECT_ROOT / "orchestration" / package).glob("*/__init__.py")
    }
    assert set(_contract("pure-modules")["source_modules"]) == expected


def test_every_domain_package_is_listed_and_every_folder_is_a_package():
    packages = {p.name for p in (PROJECT_ROOT / "orchestration").iterdir() if (p / "__init__.py").exists()}
    assert packages - {"core", "migrations"} == set(DOMAIN_PACKAGES)
    forbidden = set(_contract("core-is-a-leaf")["forbidden_modules"])
    assert {f"orchestration.{p}" for p in packages - {"core"}} <= forbidden
    for root in ("orchestration", "api"):
        for folder in (PROJECT_ROOT / root).rglob("*"):
            if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
                assert (folder / "__init__.py").exists(), folder


TEMPLATE = ("__init__.py", "definitions.py", "assets.py", "tables.py", "schemas.py")
"""Every domain package's files (README "Layout"); `ops` writes core's landing tables and its own configuration."""


def test_every_domain_package_has_the_template_and_is_merged():
    import orchestration.definitions as platform

    for package in DOMAIN_PACKAGES:
        folder = PROJECT_ROOT / "orchestration" / package
        assert [f for f in TEMPLATE if not (folder / f).exists()] == [], package
        source = (folder / "definitions.py").read_text()
        assert "\ndef defs() -> dg.Definitions:" in source, package
    merged = {m.__name__.split(".")[1] for m in platform.DOMAIN_PACKAGES}
    assert merged == {"core", *DOMAIN_PACKAGES}


def test_every_asset_has_a_group_a_description_and_a_check():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.group_name not in (None, "default"), key
        assert node.description, key
        assert graph.get_check_keys_for_assets({key}), key

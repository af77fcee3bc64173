"""`DOMAINS` is the one list of landing domains: every other place that names them must agree with it.

Adding a landing domain touches each of these places (README: "Add a landing domain"); these tests name
the one a change forgot.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import yaml

from api.domains import Domain
from orchestration.core.schema import landed_files, landed_files_table_name
from orchestration.core.settings import DOMAINS, PROJECT_ROOT
from orchestration.schema import metadata

DBT = PROJECT_ROOT / "dbt_project"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_domains_are_unique_lowercase_slugs():
    assert len(set(DOMAINS)) == len(DOMAINS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", d) for d in DOMAINS)


def test_the_dbt_macro_lists_the_registry():
    text = (DBT / "macros" / "landing_domains.sql").read_text()
    listed = re.search(r"return\(\[(.*?)\]\)", text, re.S)
    assert listed, "landing_domains() must return a literal list"
    assert tuple(re.findall(r"'([a-z0-9_]+)'", listed.group(1))) == DOMAINS


def test_the_dbt_sources_declare_one_landed_files_table_per_domain():
    sources = _yaml(DBT / "models" / "staging" / "ops" / "_sources.yml")["sources"]
    raw = next(s for s in sources if s.get("schema", s["name"]) == "raw")
    tables = {t["name"]: t for t in raw["tables"] if t["name"].endswith("_landed_files")}
    assert set(tables) == {landed_files_table_name(d) for d in DOMAINS}
    for domain in DOMAINS:
        asset_key = tables[landed_files_table_name(domain)]["meta"]["dagster"]["asset_key"]
        assert asset_key == [domain, "landed_files"], domain


def test_the_uploads_mart_accepts_exactly_the_registry():
    models = _yaml(DBT / "models" / "marts" / "ops" / "uploads.yml")["models"]
    uploads = next(m for m in models if m["name"] == "uploads")
    column = next(c for c in uploads["columns"] if c["name"] == "domain")
    tests = [t for t in column["data_tests"] if isinstance(t, dict)]
    accepted = next(t["accepted_values"] for t in tests if "accepted_values" in t)
    assert sorted(accepted["arguments"]["values"]) == sorted(DOMAINS)


def test_the_api_domain_type_is_the_registry():
    assert set(typing.get_args(Domain)) == set(DOMAINS)


def test_every_domain_has_a_raw_table_a_partition_set_a_job_and_a_sensor():
    from orchestration.core.partitions import FILE_PARTITIONS
    from orchestration.definitions import defs, file_assets

    assert set(landed_files) == set(DOMAINS)
    assert {f"raw.{landed_files_table_name(d)}" for d in DOMAINS} <= set(metadata.tables)
    assert set(FILE_PARTITIONS) == set(DOMAINS)
    for domain in DOMAINS:
        job = defs.resolve_job_def(f"{domain}_files_job")
        assert job.partitions_def == FILE_PARTITIONS[domain]
        assert defs.resolve_sensor_def(f"{domain}_landing_sensor").job_name == job.name
        keys = {key.path[-1] for asset in file_assets(domain) for key in asset.keys}
        assert "landed_files" in keys, domain
        assert len(keys) > 1, f"{domain}: nothing but landed_files"
        assert set(job.asset_layer.executable_asset_keys) == {k for a in file_assets(domain) for k in a.keys}

"""A snapshot of the Definitions: a silent rename of an asset, group, partition, job or sensor fails CI.

Regenerate after an intended change with `CALCBRIDGE_UPDATE_SNAPSHOTS=1 make test`, review the diff, then run
the tests again without the variable. A regenerating run always fails (a rewrite is never a pass), and with
`CI` set the variable is refused: CI can only compare against the committed snapshot.
"""

import json
import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import pytest

from orchestration.core.dbt import dbt_project, prepare_manifest
from orchestration.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def _partitions(definition: dg.PartitionsDefinition | None) -> str | None:
    if definition is None:
        return None
    if isinstance(definition, dg.DynamicPartitionsDefinition):
        return f"dynamic:{definition.name}"
    return type(definition).__name__


def describe(definitions: dg.Definitions) -> dict:
    """Everything a data engineer would notice changing in the UI, as plain JSON."""
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _partitions(node.partitions_def),
            "materializable": node.is_materializable,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
        }
    repo = definitions.get_repository_def()
    return {
        "assets": assets,
        "jobs": {
            job.name: _partitions(job.partitions_def)
            for job in sorted(repo.get_all_jobs(), key=lambda j: j.name)
            if not job.name.startswith("__")
        },
        "sensors": {s.name: s.default_status.value for s in sorted(repo.sensor_defs, key=lambda s: s.name)},
        "schedules": {
            s.name: {"cron": s.cron_schedule, "default_status": s.default_status.value}
            for s in sorted(repo.schedule_defs, key=lambda s: s.name)
        },
    }


def regenerate(current: dict, environ: Mapping[str, str], snapshot: Path) -> None:
    """Rewrite `snapshot` when CALCBRIDGE_UPDATE_SNAPSHOTS asks for it; never under CI; never a pass."""
    if not environ.get("CALCBRIDGE_UPDATE_SNAPSHOTS"):
        return
    if environ.get("CI"):
        pytest.fail("CALCBRIDGE_UPDATE_SNAPSHOTS is refused under CI: the snapshot is only regenerated locally")
    snapshot.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    pytest.fail(f"{snapshot.name} regenerated: review the diff, then run again without CALCBRIDGE_UPDATE_SNAPSHOTS")


def test_definitions_match_the_snapshot():
    current = describe(defs)
    regenerate(current, os.environ, SNAPSHOT)
    assert current == json.loads(SNAPSHOT.read_text())


def test_regenerating_the_snapshot_is_refused_under_ci_and_never_passes(tmp_path):
    snapshot = tmp_path / "definitions.json"
    snapshot.write_text("{}\n")
    current = {"assets": {"a": 1}}
    with pytest.raises(pytest.fail.Exception, match="refused under CI"):
        regenerate(current, {"CALCBRIDGE_UPDATE_SNAPSHOTS": "1", "CI": "true"}, snapshot)
    assert snapshot.read_text() == "{}\n"  # untouched
    with pytest.raises(pytest.fail.Exception, match="regenerated"):
        regenerate(current, {"CALCBRIDGE_UPDATE_SNAPSHOTS": "1"}, snapshot)
    assert json.loads(snapshot.read_text()) == current
    regenerate({"other": 2}, {"CI": "true"}, snapshot)  # without the variable: nothing written, nothing raised
    assert json.loads(snapshot.read_text()) == current


def test_every_python_asset_is_described_grouped_and_checked():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.description, key
        assert node.group_name, key
        assert node.group_name != "default", key
        assert node.check_keys, f"{key.to_user_string()} has no check"


def test_the_dbt_manifest_builds_from_a_clean_parse():
    manifest_path = prepare_manifest()
    manifest = json.loads(manifest_path.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"stg_landed_files", "stg_landing_rejections", "uploads"} <= models
    assert manifest_path == dbt_project.manifest_path

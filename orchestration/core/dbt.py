"""dbt integration: the project, a translator that keeps the graph connected and grouped, the assets."""

import datetime as dt
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from orchestration.core import postgres
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import dbt_models as dbt_models_table
from orchestration.core.settings import PROJECT_ROOT
from orchestration.core.warehouse import exclusive

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
DBT_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}

os.environ.update(DBT_ENV)
if Path(DBT_EXECUTABLE).parent.as_posix() not in os.environ.get("PATH", "").split(os.pathsep):
    # dagster-dbt's preparer looks for `dbt` on PATH; the interpreter's own bin may not be on it.
    os.environ["PATH"] = os.pathsep.join([str(Path(DBT_EXECUTABLE).parent), os.environ.get("PATH", "")])

DBT_LOCK = "dbt"
"""The warehouse advisory lock (`core.warehouse.exclusive`) a dbt build holds while it runs."""

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _sources_changed_since(stamp: float) -> bool:
    skip = {DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"}
    for path in DBT_PROJECT_DIR.rglob("*"):
        if path.is_file() and not any(parent in skip for parent in path.parents) and path.stat().st_mtime > stamp:
            return True
    return False


PARSE_TARGET = "target/parse"
"""Where `prepare_manifest` parses; its partial-parse cache keeps later parses quick."""


def prepare_manifest(*, force: bool = True) -> Path:
    """Parse the dbt project into target/manifest.json; with force=False only when a project file changed.

    One parse at a time across processes (a file lock: parallel test workers, a CLI beside the daemon), and
    the manifest is swapped in whole, so a process importing the definitions never reads a half-written one.
    """
    manifest = dbt_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with (manifest.parent / ".manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not manifest.exists() or _sources_changed_since(manifest.stat().st_mtime):
            run_dbt(
                ["parse", "--quiet", "--target-path", PARSE_TARGET], env={**os.environ, "DBT_LOG_PATH": PARSE_TARGET}
            )
            for name in ("partial_parse.msgpack", "manifest.json"):  # builds start from the parse cache
                staged = manifest.with_name(f"{name}.new")
                shutil.copyfile(DBT_PROJECT_DIR / PARSE_TARGET / name, staged)
                os.replace(staged, manifest.with_name(name))
    return manifest


def run_dbt(args: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the dbt CLI on the project (tests and `calcbridge`); raise with dbt's output when it fails.

    Artifacts go to `DBT_TARGET_PATH` when the environment names one (each parallel test worker has its own),
    else to the project's `target/`.
    """
    run_env = {**(env or os.environ), **DBT_ENV}
    if "DBT_TARGET_PATH" in run_env:
        run_env.setdefault("DBT_LOG_PATH", run_env["DBT_TARGET_PATH"])
    result = subprocess.run(
        [DBT_EXECUTABLE, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=run_env,
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return result


prepare_manifest(force=False)  # a stale manifest would silently drop models and tests from the graph


class CalcBridgeTranslator(DagsterDbtTranslator):
    """Groups each model by its domain folder and materializes models when their upstream changes."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot") and len(fqn) >= 3:
            return str(fqn[2]) if fqn[1] in ("staging", "marts") else str(fqn[1])
        return super().get_group_name(dbt_resource_props)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        # A failed upstream partition must not hold back every mart: drop eager()'s "no missing deps".
        return dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    # Duplicate source keys: a source table maps to the asset that writes it, even when one asset writes several.
    dagster_dbt_translator=CalcBridgeTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
    ),
)
def dbt_models(  # noqa: ANN201 - generator of events
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """Every dbt model, seed and test: staging views and marts, with dbt tests as asset checks.

    One build at a time on a warehouse (`DBT_LOCK`), whoever starts it: the daemon, `calcbridge process`, a
    UI launch. Two concurrent builds would collide on the relations dbt creates and swaps.
    """
    os.environ.update(postgres.dbt_env())  # profiles.yml reads the same server the warehouse resource uses
    with exclusive(warehouse.engine, DBT_LOCK):
        invocation = dbt.cli(["build"], context=context)
        yield from invocation.stream()
        record_models(
            warehouse.engine,
            invocation.get_artifact("manifest.json"),
            invocation.get_artifact("run_results.json"),
            context.run_id,
        )


def model_rows(manifest: Mapping[str, Any], run_results: Mapping[str, Any], run_id: str | None) -> list[dict[str, Any]]:
    """`ops.dbt_models` rows of the models a build built: relation, checksum, what each reads."""
    built = {r["unique_id"]: r for r in run_results.get("results", []) if r.get("status") == "success"}
    rows = []
    for unique_id, result in built.items():
        node = manifest.get("nodes", {}).get(unique_id)
        if node is None or node.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        rows.append(
            {
                "unique_id": unique_id,
                "name": node["name"],
                "relation": f"{node['schema']}.{node.get('alias') or node['name']}",
                "checksum": node.get("checksum", {}).get("checksum", ""),
                "materialized": node.get("config", {}).get("materialized", ""),
                "depends_on": sorted(node.get("depends_on", {}).get("nodes", [])),
                "run_id": run_id,
                "built_at": result.get("timing", [{}])[-1].get("completed_at") or dt.datetime.now(dt.UTC),
            }
        )
    return rows


def record_models(
    engine: Engine, manifest: Mapping[str, Any], run_results: Mapping[str, Any], run_id: str | None
) -> int:
    """Upsert what a build built into `ops.dbt_models` (provenance names a mart's models and checksums)."""
    rows = model_rows(manifest, run_results, run_id)
    if rows:
        statement = insert(dbt_models_table).values(rows)
        updates = {c.name: statement.excluded[c.name] for c in dbt_models_table.columns if c.name != "unique_id"}
        with engine.begin() as conn:
            conn.execute(statement.on_conflict_do_update(index_elements=["unique_id"], set_=updates))
    return len(rows)

"""The landing spine's assets: one `landed_files` asset per domain, at the head of that domain's graph."""

import dagster as dg

from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, pandera_check_spec, preview
from orchestration.core.materialize import TableFrame, input_errors, landed, write
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import landed_files as landed_files_tables
from orchestration.core.settings import DOMAINS
from orchestration.ops.schemas import LANDED_FILES_SCHEMA

ops_landing_log = dg.AssetSpec(
    key=["ops", "landing_log"],
    group_name="ops",
    description=(
        "Every file the landing sensors saw (accepted, duplicate, rejected with a reason). "
        "Written by the sensors, not by a run."
    ),
    kinds={"postgres"},
)


def build_landed_files_asset(domain: str) -> dg.AssetsDefinition:
    """`<domain>/landed_files`: one row per landed file, verified against its archived copy."""
    key = dg.AssetKey([domain, "landed_files"])
    table = landed_files_tables[domain]

    @dg.asset(
        key=key,
        group_name=domain,
        partitions_def=FILE_PARTITIONS[domain],
        description=(
            f"One row per file landed in landing/<tenant>/{domain}/ (one dynamic partition each): name, "
            f"sha256, size, arrival time and sidecar, after re-hashing the archived copy. Table raw.{table.name}."
        ),
        check_specs=[pandera_check_spec(key, LANDED_FILES_SCHEMA)],
        retry_policy=TRANSIENT_RETRY,
        kinds={"python", "postgres"},
        metadata={"table": f"raw.{table.name}"},
    )
    def _landed_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        record = landed(warehouse, domain, context.partition_key)
        with input_errors():  # the archived copy is re-hashed: a changed archive is a typed error
            frame = landing_log.landed_frame(record)
        return write(
            warehouse,
            record,
            key,
            [TableFrame(table, LANDED_FILES_SCHEMA, frame)],
            {"size_bytes": record.size_bytes, "preview": preview(frame.drop(columns=["sidecar"]))},
        )

    return _landed_files


landed_files_assets: dict[str, dg.AssetsDefinition] = {domain: build_landed_files_asset(domain) for domain in DOMAINS}

"""The landing spine's assets: one `landed_files` asset per domain, at the head of that domain's graph."""

import dagster as dg

from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, as_failure, pandera_check_spec, passed_check, preview, validate
from orchestration.core.errors import InputError
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
        partition_key = context.partition_key
        try:
            record = landing_log.require(warehouse.engine, domain, partition_key)
            frame = landing_log.landed_frame(record)
            frame = validate(frame, LANDED_FILES_SCHEMA, f"{domain}/{partition_key}")
        except InputError as error:
            raise as_failure(error) from error
        rows = warehouse.replace_partition(table, frame, tenant_id=record.tenant_id, partition_key=partition_key)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "tenant": record.tenant_id,
                "file_name": record.file_name,
                "sha256": record.sha256,
                "size_bytes": record.size_bytes,
                "preview": preview(frame.drop(columns=["sidecar"])),
            },
            check_results=[passed_check(key, LANDED_FILES_SCHEMA, len(frame))],
        )

    return _landed_files


landed_files_assets: dict[str, dg.AssetsDefinition] = {domain: build_landed_files_asset(domain) for domain in DOMAINS}

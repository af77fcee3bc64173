"""The ops assets: one `landed_files` per domain (the head of its graph) and the platform's configuration."""

import dagster as dg

from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, pandera_check_spec, passed_check, preview, validate
from orchestration.core.materialize import TableFrame, input_errors, landed, write
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import landed_files as landed_files_tables
from orchestration.core.settings import DOMAINS
from orchestration.core.warehouse import ALL_TENANTS, replace_partition
from orchestration.ops import tables as ops_tables
from orchestration.ops.configuration import PARTITION_KEY, config_sha256, configuration_frame, documents
from orchestration.ops.schemas import CONFIGURATION_SCHEMA, LANDED_FILES_SCHEMA

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

CONFIGURATION_KEY = dg.AssetKey(["ops", "configuration"])


@dg.asset(
    key=CONFIGURATION_KEY,
    group_name="ops",
    description=(
        "Every configuration document the platform runs with (assets_config/: alert rules, mapping and alias "
        "profiles, compliance tests, factors and tag colours, tolerances and auto rules, report templates, webhook "
        "subscriptions without their secrets) and the code's vocabularies, each validated by its domain's loader. "
        "Table ops.configuration; the API serves it through marts.configuration. An invalid file fails the run "
        "(typed, not retried) and keeps the last good configuration."
    ),
    check_specs=[pandera_check_spec(CONFIGURATION_KEY, CONFIGURATION_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "postgres"},
    metadata={"table": "ops.configuration"},
)
def configuration(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Validate every configuration file, then replace all of ops.configuration in one transaction."""
    with input_errors():
        sha256 = config_sha256()
        frame = validate(
            configuration_frame(documents(), sha256), CONFIGURATION_SCHEMA, "ops/configuration (assets_config/)"
        )
    rows = replace_partition(
        warehouse.engine, ops_tables.configuration, frame, tenant_id=ALL_TENANTS, partition_key=PARTITION_KEY
    )
    context.log.info(f"configuration {sha256[:12]}: {rows} documents")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "config_sha256": sha256,
            "documents_by_kind": dg.MetadataValue.json(frame.groupby("kind").size().astype(int).to_dict()),
            "preview": preview(frame.drop(columns=["document", "config_sha256"])),
        },
        check_results=[passed_check(CONFIGURATION_KEY, CONFIGURATION_SCHEMA, rows)],
    )

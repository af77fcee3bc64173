"""The platform's own tables: the landing log, API keys, sensor cursors, the events outbox, one raw table per domain.

Domain tables live beside their domain (`orchestration/<domain>/tables.py`) on the same metadata
(`core/metadata.py`); `orchestration.schema` collects them all. Every Python-written data table carries
`tenant_id` and `partition_key` so the warehouse can replace one partition atomically.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from orchestration.core.metadata import metadata, partition_columns
from orchestration.core.settings import DOMAINS

landing_log = sa.Table(
    "landing_log",
    metadata,
    sa.Column("landing_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("relative_path", sa.Text, nullable=False, comment="Path under the landing root."),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, comment="accepted | duplicate | rejected"),
    sa.Column("reason_code", sa.Text, comment="Typed code for a rejection, e.g. UNSUPPORTED_EXTENSION."),
    sa.Column("reason", sa.Text, comment="Human explanation of a rejection or duplicate."),
    sa.Column("sha256", sa.Text),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("partition_key", sa.Text),
    sa.Column("archive_path", sa.Text, comment="Content-addressed copy kept before any parsing."),
    sa.Column("sidecar", JSONB, comment="The <file>.meta.json that travelled with the file."),
    sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False, comment="When the file arrived."),
    sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("status in ('accepted', 'duplicate', 'rejected')", name="ck_landing_log_status"),
    sa.Index("ix_landing_log_partition", "domain", "partition_key"),
    sa.Index("ux_landing_log_observation", "domain", "relative_path", "landed_at", unique=True),
    sa.Index("ix_landing_log_tenant", "tenant_id", "domain", "landed_at"),
    schema="ops",
    comment="Every file a landing sensor saw: accepted, duplicate or rejected with a reason.",
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.Text, primary_key=True, comment="Public prefix of the key; the lookup handle."),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column(
        "key_hash", sa.Text, nullable=False, comment="sha256 of the secret part; the key itself is never stored."
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    schema="ops",
    comment="API keys, each bound to one tenant.",
)

sensor_cursors = sa.Table(
    "sensor_cursors",
    metadata,
    sa.Column("sensor_name", sa.Text, primary_key=True),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    schema="ops",
    comment="Landing high-water marks of `calcbridge process` (the daemon keeps its sensors' cursors itself).",
)


events = sa.Table(
    "events",
    metadata,
    sa.Column(
        "event_id",
        sa.BigInteger,
        sa.Identity(always=True),
        nullable=False,
        comment="Monotonic id: the WebSocket `since` cursor and the webhook deliveries' cursor.",
    ),
    sa.Column("event_uuid", sa.Text, nullable=False, comment="uuid4, the id clients and receivers see."),
    sa.Column("tenant_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False, comment="The seed 000 event type: compliance.changed, ..."),
    sa.Column("workbook_id", sa.Text, comment="The workbook the event is about (subscription filter); null if none."),
    sa.Column("partition_key", sa.Text, comment="The partition whose write announced it; null for run events."),
    sa.Column("payload", JSONB, nullable=False, comment="The seed's event body: {type, timestamp, data}."),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.PrimaryKeyConstraint("event_id", name="pk_events"),
    sa.UniqueConstraint("event_uuid", name="uq_events_uuid"),
    sa.Index("ix_events_tenant", "tenant_id", "event_id"),
    schema="ops",
    comment=(
        "The outbox (issue 17): one row per event, written in the same transaction as the rows it announces; "
        "NOTIFY calcbridge_events wakes the WebSocket server at commit. Append-only."
    ),
)


lineage = sa.Table(
    "lineage",
    metadata,
    sa.Column("table_name", sa.Text, nullable=False, comment="The written table, schema-qualified."),
    sa.Column("tenant_id", sa.Text, nullable=False, comment="The partition's tenant; `*` when shared by all."),
    sa.Column("partition_key", sa.Text, nullable=False),
    sa.Column("asset_key", sa.Text, nullable=False, comment="The Dagster asset that wrote the rows."),
    sa.Column("run_id", sa.Text, comment="The Dagster run; null when written outside a run (CLI loaders)."),
    sa.Column("code_version", sa.Text, comment="The asset's code_version: its modules' and config files' digest."),
    sa.Column("data_version", sa.Text, comment="The asset's data version (the source file's sha256, if any)."),
    sa.Column("sources", JSONB, nullable=False, comment="Contributing files: tenant, domain, name, sha256, ..."),
    sa.Column("inputs", JSONB, nullable=False, comment="Digest of each module and config file behind the code."),
    sa.Column("conventions", JSONB, nullable=False, comment="The conventions in force (domain-specific)."),
    sa.Column("materialized_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("table_name", "tenant_id", "partition_key", name="pk_lineage"),
    sa.Index("ix_lineage_run", "run_id"),
    schema="ops",
    comment=(
        "Provenance (issue 18): one row per (table, tenant, partition), written by the one write path in the "
        "transaction that replaces the partition's rows, so every row's lineage is its partition's."
    ),
)

dbt_models = sa.Table(
    "dbt_models",
    metadata,
    sa.Column("unique_id", sa.Text, nullable=False, comment="dbt's unique id, e.g. model.calcbridge.mart_x."),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("relation", sa.Text, nullable=False, comment="schema.name of the built relation."),
    sa.Column("checksum", sa.Text, nullable=False, comment="dbt's sha256 of the model's SQL file."),
    sa.Column("materialized", sa.Text, nullable=False, comment="view | table | incremental"),
    sa.Column("depends_on", JSONB, nullable=False, comment="unique ids of the models and sources it reads."),
    sa.Column("run_id", sa.Text, comment="The Dagster run of the last build."),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("unique_id", name="pk_dbt_models"),
    schema="ops",
    comment="Every dbt model as last built, with its checksum (issue 18 provenance).",
)


def landed_files_table_name(domain: str) -> str:
    """One raw table per domain, so each maps onto exactly one Dagster asset."""
    return f"{domain}_landed_files"


def _landed_files(domain: str) -> sa.Table:
    return sa.Table(
        landed_files_table_name(domain),
        metadata,
        *partition_columns(),
        sa.Column("domain", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archive_path", sa.Text, nullable=False),
        sa.Column("sidecar", JSONB),
        sa.Column("status", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "partition_key", name=f"pk_{domain}_landed_files"),
        schema="raw",
        comment=f"One row per file landed in landing/<tenant>/{domain}/ (one per partition).",
    )


landed_files: dict[str, sa.Table] = {domain: _landed_files(domain) for domain in DOMAINS}

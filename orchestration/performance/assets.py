"""Performance and P&L assets: one run per landed file computes and stores every result the API selects."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from orchestration.core import landing_log
from orchestration.core.checks import TRANSIENT_RETRY, as_failure, pandera_check_spec, preview
from orchestration.core.errors import InputError
from orchestration.core.materialize import Provenance, TableFrame, input_errors, landed, write, write_assets
from orchestration.core.partitions import FILE_PARTITIONS
from orchestration.core.resources import WarehouseResource
from orchestration.performance import schemas, tables
from orchestration.performance.engine import Prepared, attribution_frames, contribution_frames, prepare, returns_frames
from orchestration.performance.inputs import SIGN_CONVENTION, PerformanceConfig, parse_performance
from orchestration.performance.plots import cumulative_return_markdown
from orchestration.performance.pnl import parse_pnl_facts

PERFORMANCE = "performance"
PNL = "pnl"
LANDED = dg.AssetKey([PERFORMANCE, "landed_files"])
RETURNS_KEY = dg.AssetKey([PERFORMANCE, "portfolio_returns"])
CONTRIBUTIONS_KEY = dg.AssetKey([PERFORMANCE, "position_contributions"])
ATTRIBUTION_KEY = dg.AssetKey([PERFORMANCE, "brinson_attribution"])
PNL_FACTS_KEY = dg.AssetKey([PNL, "pnl_facts"])


def _landed(context: dg.AssetExecutionContext, warehouse: WarehouseResource, domain: str) -> landing_log.LandedRecord:
    return landing_log.require(warehouse.engine, domain, context.partition_key)


def _prepared(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> tuple[landing_log.LandedRecord, Prepared]:
    """Parse, validate and prepare the partition's file; bad input becomes a typed failure that is never retried."""
    try:
        record = _landed(context, warehouse, PERFORMANCE)
        where = f"{PERFORMANCE}/{context.partition_key} {record.file_name}"
        return record, prepare(parse_performance(landing_log.read_archived(record), where))
    except InputError as error:
        raise as_failure(error) from error


def _float(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and value != value) else float(value)


def _residual_summary(totals: pd.DataFrame, filters: dict[str, str]) -> dict[str, Any]:
    """Residuals in bp per period for one combination, and the largest anywhere."""
    chosen = totals
    for column, value in filters.items():
        chosen = chosen[chosen[column] == value]
    largest = max((abs(Decimal(str(v))) for v in totals["residual_bp"]), default=Decimal(0))
    return {
        "selection": filters,
        "residual_bp_by_period": {row.period_name: _float(row.residual_bp) for row in chosen.itertuples()},
        "max_abs_residual_bp_any_combination": float(largest),
    }


@dataclass(frozen=True)
class Output:
    """One table an asset writes, as its own asset key (dbt sources map one-to-one onto these keys)."""

    key: dg.AssetKey
    table: sa.Table
    schema: pa.DataFrameSchema
    description: str

    def spec(self, deps: list[dg.AssetKey]) -> dg.AssetSpec:
        return dg.AssetSpec(
            key=self.key,
            deps=deps,
            group_name=PERFORMANCE,
            description=f"{self.description} Table {self.table.schema}.{self.table.name}.",
            kinds={"python", "postgres"},
            metadata={"table": f"{self.table.schema}.{self.table.name}"},
        )


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey([PERFORMANCE, name])


RETURNS_OUTPUTS = (
    Output(
        RETURNS_KEY,
        tables.performance_period_returns,
        schemas.PERIOD_RETURNS_SCHEMA,
        "Period TWRs (ITD, YTD, QTD, MTD, WTD and configured periods) for NET and GROSS with every annualization "
        "basis and Modified Dietz (ITD NET), one performance file per partition.",
    ),
    Output(
        _key("daily_returns"),
        tables.performance_daily_returns,
        schemas.DAILY_RETURNS_SCHEMA,
        "Daily NET and GROSS returns, benchmark B_t and cumulative returns of one performance file.",
    ),
    Output(
        _key("portfolios"),
        tables.performance_portfolios,
        schemas.PORTFOLIOS_SCHEMA,
        "The portfolio of one performance file: effective config, periods and diagnostics.",
    ),
)
CONTRIBUTION_OUTPUTS = (
    Output(
        CONTRIBUTIONS_KEY,
        tables.performance_contributions,
        schemas.CONTRIBUTIONS_SCHEMA,
        "Linked contribution lines per period, basis, weighting (BOD, AVG_CAPITAL, TWR_DENOM), linking (NONE, "
        "CARINO, LOG) and position, with the NET __FEES__ line.",
    ),
    Output(
        _key("contribution_totals"),
        tables.performance_contribution_totals,
        schemas.CONTRIBUTION_TOTALS_SCHEMA,
        "Per period, basis, weighting and linking: R, the sum of the lines and the residual in bp.",
    ),
    Output(
        _key("positions"),
        tables.performance_positions,
        schemas.POSITIONS_SCHEMA,
        "The positions (name, group keys) of one performance file.",
    ),
    Output(
        _key("position_daily"),
        tables.performance_position_daily,
        schemas.POSITION_DAILY_SCHEMA,
        "Daily position returns, weights and contributions for every weighting.",
    ),
)
ATTRIBUTION_OUTPUTS = (
    Output(
        ATTRIBUTION_KEY,
        tables.performance_attribution,
        schemas.ATTRIBUTION_SCHEMA,
        "Brinson-Fachler and Brinson-Hood-Beebower effects per benchmark group key and group, linked NONE/CARINO/"
        "LOG per period on the GROSS basis.",
    ),
    Output(
        _key("attribution_totals"),
        tables.performance_attribution_totals,
        schemas.ATTRIBUTION_TOTALS_SCHEMA,
        "Per period, group key, model and linking: R, B, the summed effects and the residual in bp.",
    ),
)


def _file_multi_asset(name: str, outputs: tuple[Output, ...], deps: list[dg.AssetKey], description: str) -> Any:
    return dg.multi_asset(
        name=name,
        specs=[o.spec(deps) for o in outputs],
        check_specs=[pandera_check_spec(o.key, o.schema) for o in outputs],
        partitions_def=FILE_PARTITIONS[PERFORMANCE],
        retry_policy=TRANSIENT_RETRY,
        description=description,
    )


def _write(
    warehouse: WarehouseResource,
    record: landing_log.LandedRecord,
    outputs: tuple[Output, ...],
    frames: tuple[pd.DataFrame, ...],
    extra: dict[dg.AssetKey, dict[str, Any]],
    config: PerformanceConfig,
) -> Iterator[dg.MaterializeResult]:
    """Validate every frame, replace the partition in all tables in one transaction, then report per table.

    The lineage records the conventions in force: the file's effective config (basis, linking, weighting,
    periods, precision) and seed 002's sign convention.
    """
    tables_out = {o.key: TableFrame(o.table, o.schema, f) for o, f in zip(outputs, frames, strict=True)}
    metadata = {o.key: {"preview": preview(f), **extra.get(o.key, {})} for o, f in zip(outputs, frames, strict=True)}
    conventions = {"config": config.echo(), "signs": SIGN_CONVENTION, "reference": "docs/performance.md"}
    yield from write_assets(warehouse, record, tables_out, metadata, provenance_of=Provenance(conventions=conventions))


@_file_multi_asset(
    "portfolio_returns",
    RETURNS_OUTPUTS,
    [LANDED],
    "Returns of one performance file: daily and per period, both bases, annualized; plus the portfolio's config.",
)
def portfolio_returns(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Returns of one performance file; also records the portfolio's effective config and diagnostics."""
    record, prepared = _prepared(context, warehouse)
    portfolio, daily, periods = returns_frames(prepared)
    cfg = prepared.inp.config
    shown = periods[periods.annualization_basis == cfg.annualization_basis]
    extra = {
        RETURNS_KEY: {
            "portfolio_id": prepared.inp.portfolio_id,
            "precision_mode": cfg.precision_mode,
            "as_of": cfg.as_of.isoformat(),
            "preview": preview(
                shown[["period_name", "metric_basis", "start_date", "end_date", "twr", "annualized_return"]], 20
            ),
            "cumulative_return": dg.MetadataValue.md(
                cumulative_return_markdown(daily, f"{prepared.inp.portfolio_id}: cumulative return (ITD)")
            ),
            "notes": dg.MetadataValue.json(prepared.notes),
            "residuals": dg.MetadataValue.json({k: str(v) for k, v in prepared.inp.residuals.items()}),
        }
    }
    yield from _write(warehouse, record, RETURNS_OUTPUTS, (periods, daily, portfolio), extra, prepared.inp.config)


@_file_multi_asset(
    "position_contributions",
    CONTRIBUTION_OUTPUTS,
    [RETURNS_KEY],
    "Contributions of one performance file for every period, basis, weighting and linking, with residuals.",
)
def position_contributions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Contribution lines of one performance file for every period, basis, weighting and linking."""
    record, prepared = _prepared(context, warehouse)
    frames = contribution_frames(prepared)
    cfg = prepared.inp.config
    default = {"metric_basis": cfg.metric_basis, "weighting": cfg.weighting, "linking": cfg.linking}
    extra = {
        CONTRIBUTIONS_KEY: {
            "portfolio_id": prepared.inp.portfolio_id,
            "residuals": dg.MetadataValue.json(_residual_summary(frames.totals, default)),
        },
        _key("contribution_totals"): {"preview": preview(frames.totals[frames.totals.period_name == "ITD"], 20)},
    }
    outputs = (frames.lines, frames.totals, frames.positions, frames.position_daily)
    yield from _write(warehouse, record, CONTRIBUTION_OUTPUTS, outputs, extra, cfg)


@_file_multi_asset(
    "brinson_attribution",
    ATTRIBUTION_OUTPUTS,
    [RETURNS_KEY],
    "Brinson attribution of one performance file (BF and BHB, every linking and period); none without a benchmark.",
)
def brinson_attribution(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Attribution of one performance file; a file without a usable benchmark writes no rows (and says so)."""
    record, prepared = _prepared(context, warehouse)
    frames = attribution_frames(prepared)
    metadata: dict[str, Any] = {
        "portfolio_id": prepared.inp.portfolio_id,
        "notes": dg.MetadataValue.json([n for n in prepared.notes if n.startswith("benchmark")]),
    }
    if len(frames.totals):
        key = frames.totals["group_key"].iloc[0]
        selection = {"group_key": key, "model": "BRINSON_FACHLER", "linking": prepared.inp.config.linking}
        metadata["residuals"] = dg.MetadataValue.json(_residual_summary(frames.totals, selection))
    extra = {ATTRIBUTION_KEY: metadata}
    yield from _write(
        warehouse, record, ATTRIBUTION_OUTPUTS, (frames.effects, frames.totals), extra, prepared.inp.config
    )


@dg.asset(
    key=PNL_FACTS_KEY,
    deps=[dg.AssetKey([PNL, "landed_files"])],
    group_name=PNL,
    partitions_def=FILE_PARTITIONS[PNL],
    description=(
        "Seed-003 P&L facts (portfolio, date, figure, amount, is_offsetting) parsed from one landed pnl/ CSV or JSON "
        "file. Table raw.pnl_facts; the dbt marts build months, quarters, MTD and YTD from it."
    ),
    check_specs=[pandera_check_spec(PNL_FACTS_KEY, schemas.PNL_FACTS_SCHEMA)],
    retry_policy=TRANSIENT_RETRY,
    kinds={"python", "postgres"},
    metadata={"table": "raw.pnl_facts"},
)
def pnl_facts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every fact of one P&L file, validated."""
    record = landed(warehouse, PNL, context.partition_key)
    with input_errors():
        where = f"{PNL}/{context.partition_key} {record.file_name}"
        frame = parse_pnl_facts(landing_log.read_archived(record), record.file_name, where)
    return write(
        warehouse,
        record,
        PNL_FACTS_KEY,
        [TableFrame(tables.pnl_facts, schemas.PNL_FACTS_SCHEMA, frame)],
        {
            "portfolios": dg.MetadataValue.json(sorted(frame["portfolio_id"].unique().tolist())),
            "figures": dg.MetadataValue.json(sorted(frame["figure"].unique().tolist())),
            "preview": preview(frame),
        },
    )


performance_file_assets: list[dg.AssetsDefinition] = [portfolio_returns, position_contributions, brinson_attribution]
pnl_file_assets: list[dg.AssetsDefinition] = [pnl_facts]

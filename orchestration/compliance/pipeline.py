"""Warehouse glue for compliance: read a workbook's holdings, deal inputs and history; shape the output frames.

No Dagster here: `assets.py` calls these functions, tests call them directly. Scenario runs are in
`scenario_runs.py`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.clo import tables as clo_tables
from orchestration.compliance import contributions, tables
from orchestration.compliance.config import load_profiles
from orchestration.compliance.deal import DealInputs, parse_structure_sheets, resolve_deal
from orchestration.compliance.engine import ComplianceRun, compute
from orchestration.compliance.levels import AppliedLevels, level_sources
from orchestration.compliance.status import round_half_up, trend_of
from orchestration.core.errors import InputError

HOLDING_FIELDS = (
    "holding_id",
    "cusip",
    "isin",
    "issuer_name",
    "par_amount",
    "market_value",
    "price",
    "spread",
    "rating_moodys",
    "rating_sp",
    "rating_fitch",
    "maturity_date",
    "industry",
    "country",
    "currency",
    "is_defaulted",
    "asset_type",
    "coupon",
    "purchase_price",
    "seniority",
    "unfunded_amount",
    "is_cov_lite",
    "is_dip",
    "is_current_pay",
    "is_participation",
    "is_pik",
    "moodys_watch",
)


@dataclass(frozen=True)
class Workbook:
    """The raw.clo_workbooks row compliance needs."""

    tenant_id: str
    partition_key: str
    workbook_id: str
    name: str
    status: str
    report_date: dt.date | None
    sidecar: Mapping[str, Any]


def load_workbook(engine: Engine, tenant_id: str, partition_key: str) -> Workbook:
    """The workbook of a clo partition, or WORKBOOK_NOT_FOUND."""
    t = clo_tables.workbooks
    query = sa.select(t).where(t.c.tenant_id == tenant_id, t.c.partition_key == partition_key)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise InputError("WORKBOOK_NOT_FOUND", "no workbook row for this partition", partition_key)
    return Workbook(
        tenant_id=tenant_id,
        partition_key=partition_key,
        workbook_id=row["workbook_id"],
        name=row["name"],
        status=row["status"],
        report_date=row["report_date"],
        sidecar=row["sidecar"] or {},
    )


def find_workbook(engine: Engine, tenant_id: str, *, workbook_id: str | None, name: str | None) -> Workbook | None:
    """A tenant's processed workbook by id, else the latest landed one whose name or file name matches."""
    t = clo_tables.workbooks
    query = sa.select(t.c.partition_key).where(t.c.tenant_id == tenant_id, t.c.status == "processed")
    if workbook_id:
        query = query.where(t.c.workbook_id == workbook_id)
    else:
        query = query.where(sa.or_(t.c.name == name, t.c.file_name == name))
    with engine.connect() as conn:
        key = conn.execute(query.order_by(t.c.landed_at.desc()).limit(1)).scalar()
    return load_workbook(engine, tenant_id, key) if key else None


def load_holdings(engine: Engine, tenant_id: str, partition_key: str) -> pd.DataFrame:
    """The workbook's canonical holdings (floats for numerics), in row order."""
    t = clo_tables.holdings
    query = (
        sa.select(*(t.c[c] for c in HOLDING_FIELDS))
        .where(t.c.tenant_id == tenant_id, t.c.partition_key == partition_key)
        .order_by(t.c.sheet, t.c.row_index)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=list(HOLDING_FIELDS))
    for col in ("par_amount", "market_value", "price", "spread", "coupon", "purchase_price", "unfunded_amount"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


def load_structure_sheets(engine: Engine, tenant_id: str, partition_key: str) -> dict[str, list[Sequence[Any]]]:
    """Cells of the workbook's Structure / Tests / Deal sheets (case-insensitive), by sheet name."""
    t = clo_tables.sheet_rows
    query = (
        sa.select(t.c.sheet_name, t.c.row_index, t.c.cells)
        .where(
            t.c.tenant_id == tenant_id,
            t.c.partition_key == partition_key,
            sa.func.lower(t.c.sheet_name).in_(["structure", "tests", "deal"]),
        )
        .order_by(t.c.sheet_name, t.c.row_index)
    )
    sheets: dict[str, list[Sequence[Any]]] = {}
    last: dict[str, int] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            name, row_index, cells = str(row[0]), int(row[1]), row[2]
            rows = sheets.setdefault(name, [])
            if name in last and row_index > last[name] + 1:
                rows.append([])  # a skipped (empty) row ends a table
            rows.append(list(cells or []))
            last[name] = row_index
    return sheets


def applied_deal(engine: Engine, workbook: Workbook) -> tuple[DealInputs, dict[str, AppliedLevels]]:
    """Merged deal inputs and, per test, where its levels came from and its fallback profile's levels.

    Precedence: sidecar `deal` > Structure/Tests sheet > named profile > default profile.
    """
    sheet_deal = parse_structure_sheets(load_structure_sheets(engine, workbook.tenant_id, workbook.partition_key))
    profiles = load_profiles()
    deal = resolve_deal(
        sidecar=workbook.sidecar, sheet_deal=sheet_deal, profiles=profiles, fallback_as_of=workbook.report_date
    )
    return deal, level_sources(sidecar=workbook.sidecar, sheet_deal=sheet_deal, profiles=profiles)


def deal_for(engine: Engine, workbook: Workbook) -> DealInputs:
    """Merged deal inputs: sidecar `deal` > Structure/Tests sheet > named profile > default profile."""
    return applied_deal(engine, workbook)[0]


def deal_id_of(deal: DealInputs, workbook: Workbook) -> str:
    """The deal's name/id (deal inputs or sidecar), else the workbook name."""
    return deal.deal_id or str(workbook.sidecar.get("deal_id") or "") or workbook.name


def previous_values(
    engine: Engine, tenant_id: str, deal_id: str, before: dt.date, exclude_partition: str
) -> dict[str, list[tuple[dt.date, float | None, str]]]:
    """Per test, earlier (report_date, value, status) of the same deal, oldest first (latest run per date)."""
    t = tables.compliance_results
    query = (
        sa.select(t.c.test_id, t.c.report_date, t.c.current_value, t.c.status, t.c.executed_at)
        .where(
            t.c.tenant_id == tenant_id,
            t.c.deal_id == deal_id,
            t.c.report_date < before,
            t.c.partition_key != exclude_partition,
        )
        .order_by(t.c.test_id, t.c.report_date, t.c.executed_at)
    )
    out: dict[str, dict[dt.date, tuple[float | None, str]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            test_id, report_date, value, status = str(row[0]), cast(dt.date, row[1]), row[2], str(row[3])
            out.setdefault(test_id, {})[report_date] = (None if value is None else float(value), status)
    return {k: [(d, v, s) for d, (v, s) in sorted(by_date.items())] for k, by_date in out.items()}


@dataclass
class WorkbookCompliance:
    """Everything one workbook's compliance run writes."""

    workbook: Workbook
    deal: DealInputs
    deal_id: str
    run: ComplianceRun
    results: pd.DataFrame
    metrics: pd.DataFrame
    holdings: pd.DataFrame
    history: dict[str, list[tuple[dt.date, float | None, str]]]
    contributions: pd.DataFrame
    """Issue 18: the holdings that make up each explained test's numerator (`contribution_rows`)."""


def run_workbook(engine: Engine, tenant_id: str, partition_key: str, executed_at: dt.datetime) -> WorkbookCompliance:
    """Compute every test for a workbook partition and shape the three output frames."""
    workbook = load_workbook(engine, tenant_id, partition_key)
    deal, levels = applied_deal(engine, workbook)
    holdings = load_holdings(engine, tenant_id, partition_key)
    if holdings.empty:
        raise InputError("NO_HOLDINGS", "the workbook has no holdings to test", partition_key)
    run = compute(holdings, deal)
    deal_id = deal_id_of(deal, workbook)
    history = previous_values(engine, tenant_id, deal_id, deal.as_of_date, partition_key)
    rows = []
    for order, test in enumerate(run.tests):
        published = test.published()
        past = [v for _, v, _ in history.get(test.id, [])]
        applied = levels[test.id]
        rows.append(
            {
                "workbook_id": workbook.workbook_id,
                "report_date": deal.as_of_date,
                "deal_id": deal_id,
                "test_id": test.id,
                "sort_order": order,
                "name": test.name,
                "category": test.category,
                "direction": test.direction,
                "unit": test.unit,
                "status": test.status,
                "current_value": published["current_value"],
                "trigger_level": published["trigger_level"],
                "target_level": published["target_level"],
                "cushion": published["cushion"],
                "cushion_pct": published["cushion_pct"],
                "trend": trend_of([*past, test.current_value], test.direction, test.trigger_level),
                "executed_at": executed_at,
                "trigger_source": applied.trigger_source,
                "target_source": applied.target_source,
                "profile_id": applied.profile_id,
                "profile_trigger_level": applied.profile_trigger_level,
                "profile_target_level": applied.profile_target_level,
            }
        )
    results = pd.DataFrame(rows)
    metrics = pd.DataFrame(
        [
            {
                "workbook_id": workbook.workbook_id,
                "report_date": deal.as_of_date,
                "deal_id": deal_id,
                "summary": run.summary(),
                "metrics": run.published_metrics(),
                "deal": deal_json(deal),
                "executed_at": executed_at,
            }
        ]
    )
    fields = run.holdings
    holding_rows = pd.DataFrame(
        {
            "workbook_id": workbook.workbook_id,
            "holding_id": fields["holding_id"].astype(str),
            "effective_rating": fields["effective_rating"].astype(str),
            "rating_source": fields["rating_source"].astype(str),
            "rating_factor": fields["rating_factor"].astype(float),
            "in_ccc_bucket": fields["in_ccc_bucket"].astype(bool),
            "years_to_maturity": [round_half_up(v) for v in fields["years_to_maturity"].astype(float)],
            "moodys_derived_rating": fields["moodys_derived_rating"].astype(str),
            "moodys_derived_source": fields["moodys_derived_source"].astype(str),
            "sp_basis_rating": fields["sp_basis_rating"].astype(str),
            "is_discount_obligation": fields["is_discount_obligation"].astype(bool),
            "par_in_ccc_excess": [round_half_up(v) for v in fields["par_in_ccc_excess"].astype(float)],
            "carrying_value": [round_half_up(v) for v in fields["carrying_value"].astype(float)],
        }
    )
    explained = contribution_rows(workbook.workbook_id, run, deal)
    return WorkbookCompliance(workbook, deal, deal_id, run, results, metrics, holding_rows, history, explained)


def contribution_rows(workbook_id: str, run: ComplianceRun, deal: DealInputs) -> pd.DataFrame:
    """Each explained test's top holdings, the rest and its non-holding terms, rounded once (convention 1).

    A contribution to 4 decimals; its share (a fraction of the numerator) to 6, i.e. 4 in percent.
    """
    rows = contributions.ranked_rows(contributions.explain(run, deal), run.holdings["holding_id"].astype(str))
    return rows.assign(
        workbook_id=workbook_id,
        contribution=[round_half_up(v) for v in rows["contribution"]],
        share=pd.Series([round_half_up(v, 6) for v in rows["share"]], index=rows.index, dtype="float64"),
    ).astype({"rank": "int64", "holdings": "int64", "contribution": "float64"})


def deal_json(deal: DealInputs) -> dict[str, Any]:
    """The merged deal inputs in issue 4's shape (plus where they came from)."""
    return {
        "deal_id": deal.deal_id,
        "as_of_date": deal.as_of_date.isoformat(),
        "currency": deal.currency,
        "accounts": {"principal_cash": deal.principal_cash},
        "rates": {
            "reference_rate_name": deal.reference_rate_name,
            "reference_rate_pct": deal.reference_rate_pct,
            "accrual_days": deal.accrual_days,
            "day_count": deal.day_count,
        },
        "senior_fees_and_expenses": deal.senior_fees_and_expenses,
        "defaulted_recovery_rate_pct": deal.defaulted_recovery_rate_pct,
        "ccc_limit_pct": deal.ccc_limit_pct,
        "domestic_country": deal.domestic_country,
        "notes": [
            {
                "class": n.class_name,
                "par": n.par,
                "spread_bps": n.spread_bps,
                "rating": n.rating,
                "seniority": n.seniority,
                "subordinated": n.subordinated,
            }
            for n in deal.notes
        ],
        "tests": [t.as_dict() for t in deal.tests],
        **deal.terms.as_dict(),
        "sources": dict(deal.sources),
    }


def trend_png(history: Mapping[str, Sequence[tuple[dt.date, float | None, str]]], current: WorkbookCompliance) -> str:
    """A matplotlib PNG (base64) of each test's value over the deal's report dates, cushion-normalised.

    Plotted as cushion % of trigger so every test shares one axis; 0 is the trigger line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=80)
    for test in current.run.tests:
        points = [(d, v) for d, v, _ in history.get(test.id, []) if v is not None]
        if test.current_value is not None:
            points.append((current.deal.as_of_date, test.current_value))
        if not points or test.trigger_level == 0:
            continue
        sign = 1.0 if test.direction == "min" else -1.0
        ys = [sign * (v - test.trigger_level) / abs(test.trigger_level) * 100.0 for _, v in points]
        ax.plot(cast(Any, [d for d, _ in points]), ys, marker="o", label=test.id)  # matplotlib plots dates
    ax.axhline(0.0, color="red", linewidth=1)
    ax.set_ylabel("cushion, % of trigger")
    ax.set_title(f"Compliance trend: {current.deal_id}")
    ax.legend(fontsize=6, ncol=2)
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

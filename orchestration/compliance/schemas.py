"""The compliance domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.compliance.levels import SOURCE_PATTERN
from orchestration.compliance.status import STATUSES, TRENDS
from orchestration.core.patterns import UUID
from orchestration.core.ratings import MOODYS_SCALE, SP_SCALE

RESULTS_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "test_id": pa.Column(str, pa.Check.str_length(min_value=1), unique=True),
        "direction": pa.Column(str, pa.Check.isin(["min", "max"])),
        "status": pa.Column(str, pa.Check.isin(list(STATUSES))),
        "current_value": pa.Column(float, nullable=True),
        "trigger_level": pa.Column(float),
        "target_level": pa.Column(float),
        "trend": pa.Column(str, pa.Check.isin(list(TRENDS))),
        "trigger_source": pa.Column(str, pa.Check.str_matches(SOURCE_PATTERN)),
        "target_source": pa.Column(str, pa.Check.str_matches(SOURCE_PATTERN)),
        "profile_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "profile_trigger_level": pa.Column(float, nullable=True),
        "profile_target_level": pa.Column(float, nullable=True),
    },
    checks=[
        pa.Check(
            lambda f: (
                ((f["direction"] == "min") & (f["target_level"] >= f["trigger_level"]))
                | ((f["direction"] == "max") & (f["target_level"] <= f["trigger_level"]))
            ).all(),
            name="target inside trigger",
        )
    ],
    name="clo_compliance_results",
)


METRICS_SCHEMA = pa.DataFrameSchema(
    {"workbook_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True), "metrics": pa.Column(object)},
    name="clo_compliance_metrics",
)


HOLDING_FIELDS_SCHEMA = pa.DataFrameSchema(
    {
        "holding_id": pa.Column(str, unique=True),
        "effective_rating": pa.Column(
            str,
            pa.Check.isin(list(MOODYS_SCALE)),
        ),
        "rating_source": pa.Column(str, pa.Check.isin(["moodys", "sp", "fitch", "default"])),
        "rating_factor": pa.Column(float, pa.Check.in_range(1, 10000)),
        "in_ccc_bucket": pa.Column(bool),
        "moodys_derived_rating": pa.Column(str, pa.Check.isin(list(MOODYS_SCALE))),
        "moodys_derived_source": pa.Column(str, pa.Check.isin(["moodys", "sp", "fitch", "unrated_default"])),
        "sp_basis_rating": pa.Column(str, pa.Check.isin(list(SP_SCALE))),
        "is_discount_obligation": pa.Column(bool),
        "par_in_ccc_excess": pa.Column(float, pa.Check.ge(0)),
        "carrying_value": pa.Column(float, nullable=True),
    },
    name="clo_holding_compliance",
)


CONTRIBUTIONS_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "test_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "rank": pa.Column("int64", pa.Check.ge(1)),
        "holding_id": pa.Column(str, nullable=True),
        "holdings": pa.Column("int64", pa.Check.ge(0)),
        "contribution": pa.Column(float),
        "share": pa.Column(float, nullable=True),
        "measure": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    checks=[
        pa.Check(lambda f: (f["holding_id"].isna() | (f["holdings"] == 1)).all(), name="a holding's row is 1 holding"),
    ],
    unique=["test_id", "rank"],
    name="clo_compliance_contributions",
)


SCENARIOS_SCHEMA = pa.DataFrameSchema(
    {
        "scenario_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "version": pa.Column("int64", pa.Check.ge(1)),
        "status": pa.Column(str, pa.Check.isin(["calculated", "failed"])),
    },
    name="clo_scenarios",
)


TRADES_SCHEMA = pa.DataFrameSchema(
    {
        "order_index": pa.Column("int64", pa.Check.ge(0), unique=True),
        "change_type": pa.Column(
            str,
            pa.Check.isin(["add_position", "remove_position", "modify_position", "price_change", "rating_change"]),
        ),
    },
    name="clo_scenario_changes",
)

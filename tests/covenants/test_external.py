"""External bankruptcy datasets: loaders on small files written here, the real files when present, the asset."""

import gzip

import dagster as dg
import numpy as np
import pytest
import sqlalchemy as sa

from orchestration.core.settings import PROJECT_ROOT
from orchestration.covenants import tables
from orchestration.covenants.assets import breach_model_external
from orchestration.covenants.external import (
    ExternalDataInvalidError,
    ExternalDataMissingError,
    load_arff,
    load_dataset,
    locate,
)

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POLISH_1YEAR = SHARED_DATA / "polish_bankruptcy" / "1year.arff"
US_PARTIAL = SHARED_DATA / "american_bankruptcy" / "american_bankruptcy_partial.csv.gz"

ARFF = """@relation '1year-weka.filters.unsupervised.instance.SubsetByExpression-Enot ismissing(ATT20)'

@attribute Attr1 numeric
@attribute Attr2 numeric
@attribute class {0,1}

@data
0.20055,0.37951,0
?,0.49788,0
-0.5,?,1
"""


def _taiwan_csv(rows: int) -> str:
    rng = np.random.default_rng(0)
    header = "Bankrupt?, ROA(C) before interest and depreciation before interest, Debt ratio %\n"
    lines = [f"{int(i % 5 == 0)},{rng.random():.4f},{rng.random():.4f}" for i in range(rows)]
    return header + "\n".join(lines) + "\n"


def _us_csv(companies: int) -> str:
    header = "company_name,status_label,year," + ",".join(f"X{i}" for i in range(1, 19))
    lines = []
    for c in range(companies):
        for year in (2015, 2016, 2017):
            failed = c % 4 == 0 and year == 2017
            features = ",".join(str(c * 10 + i + (500 if failed else 0)) for i in range(1, 19))
            lines.append(f"C_{c},{'failed' if failed else 'alive'},{year},{features}")
    return header + "\n" + "\n".join(lines) + "\n"


def test_arff_loader(tmp_path):
    path = tmp_path / "1year.arff"
    path.write_text(ARFF)
    data = load_arff(path, "polish_1year")
    assert data.features.shape == (3, 2)
    assert list(data.features.columns) == ["Attr1", "Attr2"]
    assert list(data.labels) == [0, 0, 1]
    assert np.isnan(data.features.iloc[1, 0])
    assert np.isnan(data.features.iloc[2, 1])
    assert data.features.iloc[2, 0] == -0.5
    path.write_text(ARFF.replace("@data\n", "@data\n1,2\n"))
    with pytest.raises(ExternalDataInvalidError, match="wrong number of fields"):
        load_arff(path)


def test_taiwan_and_us_loaders(tmp_path):
    (tmp_path / "taiwan_bankruptcy").mkdir()
    (tmp_path / "taiwan_bankruptcy" / "data.csv").write_text(_taiwan_csv(20))
    taiwan = load_dataset("taiwan", tmp_path)
    assert taiwan.features.shape == (20, 2)
    assert next(iter(taiwan.features.columns)) == "ROA(C) before interest and depreciation before interest"
    assert taiwan.labels.sum() == 4  # rows 0, 5, 10, 15
    (tmp_path / "american_bankruptcy").mkdir()
    (tmp_path / "american_bankruptcy" / "american_bankruptcy.csv.gz").write_bytes(gzip.compress(_us_csv(8).encode()))
    us = load_dataset("us", tmp_path)
    assert us.features.shape == (24, 18)
    assert us.labels.sum() == 2  # companies 0 and 4 failed in 2017
    assert list(us.groups[:3]) == ["C_0", "C_0", "C_0"]


def test_a_missing_file_names_the_exact_path(tmp_path):
    with pytest.raises(ExternalDataMissingError) as caught:
        locate("polish_3year", tmp_path)
    assert f"expected file {tmp_path / 'polish_bankruptcy' / '3year.arff'}" in str(caught.value)


@pytest.mark.skipif(not POLISH_1YEAR.exists(), reason="../shared/data/polish_bankruptcy/1year.arff is absent")
def test_the_real_polish_1year_file():
    data = load_dataset("polish_1year", SHARED_DATA)
    # UCI 365: 7,027 firms, Attr1..Attr64, 271 bankrupt (3.86%), 5,835 '?' cells (SOURCE.md)
    assert data.features.shape == (7027, 64)
    assert list(data.features.columns) == [f"Attr{i}" for i in range(1, 65)]
    assert int(data.labels.sum()) == 271
    assert int(data.features.isna().sum().sum()) == 5835


@pytest.mark.skipif(not US_PARTIAL.exists(), reason="../shared/data/american_bankruptcy is absent")
def test_the_real_american_file():
    data = load_dataset("us", SHARED_DATA)
    # SOURCE.md: 77,335 rows, X1..X18, alive 72,220 / failed 5,115, 8,956 companies
    assert data.features.shape == (77335, 18)
    assert int(data.labels.sum()) == 5115
    assert len(set(data.groups)) == 8956


def test_the_external_asset_trains_ranks_features_and_fails_missing_partitions(platform, tmp_path, lander):
    folder = lander.root / "external" / "taiwan_bankruptcy"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    rows = ["Bankrupt?, signal, noise"]
    for i in range(300):
        label = int(i % 6 == 0)
        rows.append(f"{label},{label * 2 + rng.normal():.4f},{rng.normal():.4f}")
    (folder / "data.csv").write_text("\n".join(rows) + "\n")
    config = {"ops": {breach_model_external.op.name: {"config": {"n_estimators": 30, "early_stopping_rounds": 5}}}}
    result = dg.materialize(
        [breach_model_external],
        partition_key="taiwan",
        instance=platform.instance,
        resources=lander.resources(),
        run_config=config,
    )
    assert result.success
    with platform.warehouse.connect() as conn:
        row = conn.execute(sa.select(tables.models).where(tables.models.c.run_id == result.run_id)).mappings().one()
    assert row["tenant_id"] == "_public"
    assert row["scope"] == "external:taiwan"
    ranking = row["result"]["feature_importances"]
    assert [r["name"] for r in ranking] == ["signal", "noise"]
    assert [r["rank"] for r in ranking] == [1, 2]
    assert all(0 <= r["importance"] <= 1 for r in ranking)
    assert row["result"]["dataset"] == "taiwan"
    assert row["result"]["n_features"] == 2
    assert (lander.store / "external" / "taiwan" / "active.ubj").exists()

    missing = dg.materialize(
        [breach_model_external],
        partition_key="polish_2year",
        instance=platform.instance,
        resources=lander.resources(),
        raise_on_error=False,
    )
    assert not missing.success
    (failure,) = [e for e in missing.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "EXTERNAL_DATA_MISSING"
    expected = lander.root / "external" / "polish_bankruptcy" / "2year.arff"
    assert str(expected) in failure.step_failure_data.error.message

"""Model versioning and promotion in the registry, and the breach model + predictions assets end to end."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import sqlalchemy as sa
import xgboost as xgb

from orchestration.covenants import registry, state, tables
from orchestration.covenants.assets import breach_model, breach_predictions
from orchestration.covenants.demo import generate_portfolio
from orchestration.covenants.training import TrainedModel

T0 = dt.datetime(2026, 1, 5, 9, 30, 0, tzinfo=dt.UTC)


def _tiny_model(auc: float) -> TrainedModel:
    x = np.array([[0.0], [1.0], [0.0], [1.0]])
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(x, label=[0, 1, 0, 1]), num_boost_round=2)
    result = {"val_metrics": {"auc": auc}, "test_metrics": {"auc": auc}, "best_val_auc": auc, "samples_total": 4}
    # Validation: the breach scored 0.9 ≥ 0.66 → recall 1 at the HIGH tier, so only the AUC decides here.
    return TrainedModel(booster, ["f0"], result, validation=(np.array([1, 0]), np.array([0.9, 0.1])))


def _register(platform, tenant, store, auc, at, tolerance=0.0):
    return registry.register(
        platform.warehouse,
        _tiny_model(auc),
        store_root=store,
        tenant_id=tenant,
        scope="breach",
        run_id="run-x",
        source_partition="p",
        tolerance=tolerance,
        now=at,
    )


def test_versioning_and_the_promotion_rule(platform, tenant, tmp_path):
    first = _register(platform, tenant, tmp_path, 0.80, T0)
    assert first.model_id == "model-2026-01-05-093000"
    assert first.promoted
    assert first.reason == "first model of its scope; recall 1.00 at the HIGH tier (p ≥ 0.66) on the validation split"
    assert first.model_path == tmp_path / tenant / "breach" / "model-2026-01-05-093000.ubj"
    assert first.model_path.read_bytes()[:1] == b"{"  # UBJSON object marker
    assert first.active_model_path.read_bytes() == first.model_path.read_bytes()

    worse = _register(platform, tenant, tmp_path, 0.70, T0)  # same second: the id moves to the next one
    assert worse.model_id == "model-2026-01-05-093001"
    assert not worse.promoted
    assert worse.reason == "validation AUC 0.7000 does not beat active 0.8000"
    assert state.active_model(platform.warehouse, tenant, "breach")["model_id"] == first.model_id
    assert first.active_model_path.read_bytes() == first.model_path.read_bytes()

    equal = _register(platform, tenant, tmp_path, 0.80, T0 + dt.timedelta(minutes=1))  # equal does not beat
    assert not equal.promoted
    better = _register(platform, tenant, tmp_path, 0.82, T0 + dt.timedelta(minutes=2))
    assert better.promoted
    assert state.active_model(platform.warehouse, tenant, "breach")["model_id"] == "model-2026-01-05-093200"

    tolerated = _register(platform, tenant, tmp_path, 0.80, T0 + dt.timedelta(minutes=3), tolerance=0.05)
    assert tolerated.promoted  # 0.80 > 0.82 − 0.05

    with platform.warehouse.connect() as conn:
        models = conn.execute(
            sa.select(tables.models.c.model_id, tables.models.c.promoted)
            .where(tables.models.c.tenant_id == tenant)
            .order_by(tables.models.c.model_id)
        ).all()
        promotions = conn.execute(
            sa.select(tables.model_promotions.c.model_id, tables.model_promotions.c.previous_model_id)
            .where(tables.model_promotions.c.tenant_id == tenant)
            .order_by(tables.model_promotions.c.promoted_at)
        ).all()
    assert [tuple(r) for r in models] == [
        ("model-2026-01-05-093000", True),
        ("model-2026-01-05-093001", False),
        ("model-2026-01-05-093100", False),
        ("model-2026-01-05-093200", True),
        ("model-2026-01-05-093300", True),
    ]
    assert [tuple(r) for r in promotions] == [
        ("model-2026-01-05-093000", None),
        ("model-2026-01-05-093200", "model-2026-01-05-093000"),
        ("model-2026-01-05-093300", "model-2026-01-05-093200"),
    ]
    assert len(list((tmp_path / tenant / "breach").glob("model-*.ubj"))) == 5


def test_breach_model_and_predictions_from_landed_files(platform, lander, tenant):
    portfolio = generate_portfolio(seed=11, n_deals=30, quarters=8)
    pack = {"deals": portfolio.deals, "covenants": portfolio.covenants, "measurements": portfolio.measurements}
    key = lander.land(tenant, "portfolio.json", json.dumps(pack))
    result = lander.run(key)
    assert result.success
    model_event = result.asset_materializations_for_node(breach_model.op.name)[0]
    assert model_event.metadata["trained"].value is True
    model_id = model_event.metadata["model_id"].value
    assert model_event.metadata["promoted"].value is True
    with platform.warehouse.connect() as conn:
        row = conn.execute(sa.select(tables.models).where(tables.models.c.tenant_id == tenant)).mappings().one()
        predictions = pd.DataFrame(
            conn.execute(sa.select(tables.predictions).where(tables.predictions.c.tenant_id == tenant)).mappings().all()
        )
    assert row["run_id"] == result.run_id
    assert row["result"]["model_id"] == model_id
    assert row["result"]["samples_total"] == 30 * 7
    assert set(row["result"]["config"]) >= {"learning_rate", "early_stopping_rounds", "device"}
    assert (lander.store / tenant / "breach" / f"{model_id}.ubj").exists()
    assert (lander.store / tenant / "breach" / "active.ubj").exists()

    assert len(predictions) == 30
    assert set(predictions["model_id"]) == {model_id}
    assert predictions["period_end"].nunique() == 1  # every deal scored at its last quarter
    for p, tier in zip(predictions["probability"], predictions["risk_tier"], strict=True):
        assert tier == ("HIGH" if p >= 0.66 else "MEDIUM" if p >= 0.33 else "LOW")
    assert all(
        len(top) == 3 and {"feature", "contribution", "value"} == set(top[0]) for top in predictions["top_features"]
    )
    # The planted deteriorating deals get a higher average breach risk than the healthy ones.
    bad = predictions["deal_id"].isin(portfolio.deteriorating)
    assert predictions.loc[bad, "probability"].mean() > predictions.loc[~bad, "probability"].mean()

    # Retraining on the same data with run config: a new version, whatever its promotion verdict.
    retrain = lander.run(
        key,
        assets=[breach_model, breach_predictions],
        run_config={"ops": {breach_model.op.name: {"config": {"n_estimators": 20, "device": "cpu"}}}},
    )
    assert retrain.success
    event = retrain.asset_materializations_for_node(breach_model.op.name)[0]
    assert event.metadata["model_id"].value != model_id
    assert json.loads(json.dumps(event.metadata["result"].value))["config"]["n_estimators"] == 20

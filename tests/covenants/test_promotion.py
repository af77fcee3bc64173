"""The promotion rule (issue 14): recall > 0 at the HIGH tier on validation, then a better validation AUC.

Hand-built candidates go through the real registry on the `platform` Postgres; every verdict and every
recall/AUC below is worked by hand from the four validation rows.
"""

import datetime as dt

import numpy as np
import sqlalchemy as sa
import xgboost as xgb

from orchestration.covenants import registry, state, tables
from orchestration.covenants.registry import Candidate, promotion_decision, recall_at
from orchestration.covenants.training import TrainedModel, best_round_index

T0 = dt.datetime(2026, 2, 2, 8, 0, 0, tzinfo=dt.UTC)
LABELS = np.array([1, 1, 0, 0])  # two breaches, two non-breaches: 4 (positive, negative) pairs
HIGH = "the HIGH tier (p ≥ 0.66) on the validation split"


def _candidate(probabilities: list[float], val_auc: float, test_auc: float) -> TrainedModel:
    x = np.array([[0.0], [1.0], [0.0], [1.0]])
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(x, label=[0, 1, 0, 1]), num_boost_round=2)
    result = {"val_metrics": {"auc": val_auc}, "test_metrics": {"auc": test_auc}, "best_val_auc": val_auc}
    return TrainedModel(booster, ["f0"], result, validation=(LABELS, np.array(probabilities)))


def _register(platform, tenant, store, trained, minutes):
    return registry.register(
        platform.warehouse,
        trained,
        store_root=store,
        tenant_id=tenant,
        scope="breach",
        run_id="run-p",
        source_partition="p",
        tolerance=0.0,
        now=T0 + dt.timedelta(minutes=minutes),
    )


def test_recall_at_the_high_edge_by_hand():
    # positives' probabilities 0.66 and 0.65: 0.66 ≥ 0.66 counts (the tier edge is inclusive), 0.65 does not → 1/2
    assert recall_at(LABELS, np.array([0.66, 0.65, 0.9, 0.1]), 0.66) == 0.5
    assert recall_at(np.array([0, 0]), np.array([0.9, 0.1]), 0.66) is None  # no breach: undefined


def test_the_decision_in_every_branch():
    first_no_recall = promotion_decision(Candidate(1.0, 0.0), None, has_active=False, high=0.66)
    assert first_no_recall == (False, f"recall 0 at {HIGH}: no breach would be flagged HIGH")
    assert promotion_decision(Candidate(1.0, None), None, has_active=False, high=0.66) == (
        False,
        f"recall at {HIGH} is undefined: no breach in the validation split",
    )
    assert promotion_decision(Candidate(0.6, 0.5), None, has_active=False, high=0.66) == (
        True,
        f"first model of its scope; recall 0.50 at {HIGH}",
    )
    # 0.80 does not beat 0.80 (strictly better); with tolerance 0.05, 0.80 > 0.80 − 0.05
    assert promotion_decision(Candidate(0.8, 0.5), 0.8, has_active=True, high=0.66) == (
        False,
        "validation AUC 0.8000 does not beat active 0.8000",
    )
    assert promotion_decision(Candidate(0.8, 0.5), 0.8, has_active=True, high=0.66, tolerance=0.05)[0]
    # Public-dataset scopes serve no tier: validation AUC alone decides there.
    assert promotion_decision(Candidate(0.9, 0.0), None, has_active=False, high=0.66, require_recall=False) == (
        True,
        "first model of its scope; no tier served",
    )


def test_best_round_breaks_auc_ties_by_log_loss():
    # AUC peaks at 1.0 in rounds 1, 2 and 3 (0-based); of those, round 2 has the lowest log loss (0.30).
    # Round 4 has an even lower log loss but a worse AUC, so it loses.
    assert best_round_index([0.9, 1.0, 1.0, 1.0, 0.95], [0.5, 0.4, 0.3, 0.35, 0.2]) == 2


def test_promotion_through_the_registry(platform, tenant, tmp_path):
    # M1, no active model. Positives 0.60, 0.50 < 0.66 → recall 0; pairs all ranked right → AUC 1.
    m1 = _register(platform, tenant, tmp_path, _candidate([0.60, 0.50, 0.20, 0.10], 1.0, 1.0), 0)
    assert not m1.promoted
    assert m1.reason == f"recall 0 at {HIGH}: no breach would be flagged HIGH"
    assert state.active_model(platform.warehouse, tenant, "breach") is None
    assert not (tmp_path / tenant / "breach" / "active.ubj").exists()

    # M2: positives 0.70 (≥ 0.66), 0.30 → recall 1/2. Pairs (0.7,0.4) ok, (0.7,0.1) ok, (0.3,0.4) wrong,
    # (0.3,0.1) ok → AUC 3/4. The first model with recall > 0 → promoted.
    m2 = _register(platform, tenant, tmp_path, _candidate([0.70, 0.30, 0.40, 0.10], 0.75, 0.60), 1)
    assert m2.promoted
    assert m2.reason == f"first model of its scope; recall 0.50 at {HIGH}"

    # M3: a better AUC (1.0 > 0.75) but positives 0.65, 0.64 < 0.66 → recall 0 → not promoted.
    m3 = _register(platform, tenant, tmp_path, _candidate([0.65, 0.64, 0.2, 0.1], 1.0, 1.0), 2)
    assert (m3.promoted, m3.reason) == (False, f"recall 0 at {HIGH}: no breach would be flagged HIGH")

    # M4: positives 0.70, 0.20; negatives 0.80, 0.10: pairs (0.7,0.8) wrong, (0.7,0.1) ok, (0.2,0.8) wrong,
    # (0.2,0.1) ok → val AUC 2/4 = 0.5 < 0.75; its test AUC 0.99 beats the active 0.60, which no longer counts.
    m4 = _register(platform, tenant, tmp_path, _candidate([0.70, 0.20, 0.80, 0.10], 0.5, 0.99), 3)
    assert (m4.promoted, m4.reason) == (False, "validation AUC 0.5000 does not beat active 0.7500")

    # M5: positives 0.90, 0.66 → recall 2/2; every pair ranked right → AUC 1.0 > 0.75 → promoted.
    m5 = _register(platform, tenant, tmp_path, _candidate([0.90, 0.66, 0.30, 0.10], 1.0, 0.95), 4)
    assert m5.promoted
    assert m5.reason == f"validation AUC 1.0000 > active 0.7500; recall 1.00 at {HIGH}"
    assert m5.result["promotion_checks"] == {
        "metric": "val_auc",
        "val_auc": 1.0,
        "active_model_id": m2.model_id,
        "active_val_auc": 0.75,
        "high_tier_threshold": 0.66,
        "val_recall_at_high": 1.0,
    }

    with platform.warehouse.connect() as conn:
        models = conn.execute(
            sa.select(tables.models.c.model_id, tables.models.c.promoted, tables.models.c.promotion_reason)
            .where(tables.models.c.tenant_id == tenant)
            .order_by(tables.models.c.model_id)
        ).all()
        promotions = conn.execute(
            sa.select(tables.model_promotions.c.model_id, tables.model_promotions.c.previous_model_id)
            .where(tables.model_promotions.c.tenant_id == tenant)
            .order_by(tables.model_promotions.c.promoted_at)
        ).all()
    assert [tuple(r) for r in models] == [(m.model_id, m.promoted, m.reason) for m in (m1, m2, m3, m4, m5)]
    assert [tuple(r) for r in promotions] == [(m2.model_id, None), (m5.model_id, m2.model_id)]
    assert state.active_model(platform.warehouse, tenant, "breach")["model_id"] == m5.model_id
    assert m5.active_model_path.read_bytes() == m5.model_path.read_bytes()

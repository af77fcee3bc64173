"""Explained compliance (issue 18): a test's contributors are the right holdings and sum to its numerator.

Hand-worked on the 38-holding indenture pool (tests/compliance/indenture_pool.py; figures of
test_indenture_handworked.py, amounts in $ millions): the holdings and amounts below are read off the pool's table,
not off the code. A property over 30 random pools checks every explained test against the numerator derived from
its value (value × denominator, the denominator from the engine's intermediates); through the real assets, the
stored rows of a failing demo test sum to its numerator, and the dbt mart serves them with its data tests passing.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.clo import demo as clo_demo
from orchestration.clo import tables as clo_tables
from orchestration.clo.assets import clo_file_assets
from orchestration.compliance import contributions, tables
from orchestration.compliance.assets import compliance_file_assets
from orchestration.compliance.deal import parse_deal
from orchestration.compliance.engine import compute
from tests.compliance import indenture_pool as pool
from tests.compliance.test_indenture_agreement import random_pool
from tests.compliance.test_pipeline import Lander

M = 1_000_000
REL = 1e-9


def _hand_run() -> tuple[Any, Any]:
    deal = parse_deal(pool.deal_dict())
    return compute(pool.holdings(), deal), deal


@pytest.fixture(scope="module")
def hand() -> dict[str, pd.DataFrame]:
    """The pool's contribution rows per test (unrounded)."""
    run, deal = _hand_run()
    rows = contributions.ranked_rows(contributions.explain(run, deal), run.holdings["holding_id"].astype(str))
    return {test_id: frame.reset_index(drop=True) for test_id, frame in rows.groupby("test_id", sort=False)}


def _listed(frame: pd.DataFrame) -> list[tuple[Any, int, float]]:
    """(holding id or None, holdings, contribution in $ millions) in rank order."""
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
    return [
        (None if pd.isna(h) else h, int(n), round(float(c) / M, 6))
        for h, n, c in zip(frame["holding_id"], frame["holdings"], frame["contribution"], strict=True)
    ]


def test_ccc_bucket_lists_the_ccc_holdings_by_par(hand) -> None:
    # C2 Caa1 or lower, performing: Atlas 2L h02 3, Juniper h13 4, Vega h24 1, Xenon h26 1, Yarrow h27 1, Zephyr h28 2,
    # Kestrel h29 2, Wraith h30 3 = 17 (Rhea h20 Ca is defaulted). Largest first, equal par by holding id.
    frame = hand["ccc_bucket"]
    assert _listed(frame) == [
        ("h13", 1, 4.0), ("h02", 1, 3.0), ("h30", 1, 3.0), ("h28", 1, 2.0), ("h29", 1, 2.0),
        ("h24", 1, 1.0), ("h26", 1, 1.0), ("h27", 1, 1.0),
    ]  # fmt: skip
    assert set(frame["measure"]) == {"par"}
    assert frame["share"].tolist() == pytest.approx([4 / 17, 3 / 17, 3 / 17, 2 / 17, 2 / 17, 1 / 17, 1 / 17, 1 / 17])


def test_largest_industry_lists_its_holdings(hand) -> None:
    # Services: Business 15 = Cobalt h04 6 + Ionic h12 4 + Umbra h23 3 + Quasar h19 2.
    assert _listed(hand["conc_industry"]) == [("h04", 1, 6.0), ("h12", 1, 4.0), ("h23", 1, 3.0), ("h19", 1, 2.0)]


def test_top_obligor_tests_list_the_counted_obligors_holdings(hand) -> None:
    # Top 5: Atlas 8 (h01 5, h02 3), Borealis 7 (h03), Cobalt 6 (h04), Dynamo 6 (h05 2, h06 4), Electra 5 (h07) = 32.
    assert _listed(hand["conc_top5_obligors"]) == [
        ("h03", 1, 7.0), ("h04", 1, 6.0), ("h01", 1, 5.0), ("h07", 1, 5.0), ("h06", 1, 4.0), ("h02", 1, 3.0),
        ("h05", 1, 2.0),
    ]  # fmt: skip
    # Largest obligor: Atlas (h01 5 + h02 3); 6th: Electra, Fenwick and Granite tie at 5 and the ranking (par, then
    # name) puts Fenwick 6th, so the numerator's 5 is Fenwick's h08.
    assert _listed(hand["conc_single_obligor"]) == [("h01", 1, 5.0), ("h02", 1, 3.0)]
    assert _listed(hand["conc_obligor_6th"]) == [("h08", 1, 5.0)]
    assert hand["conc_obligor_6th"]["share"].tolist() == [1.0]


# C15 Moody's derived rating factor of each performing holding (test_indenture_handworked.py's rating table).
DERIVED_FACTORS = {
    "h01": (5, 2720), "h02": (3, 4770), "h03": (7, 2220), "h04": (6, 2220), "h05": (2, 2720), "h06": (4, 2720),
    "h07": (5, 3490), "h08": (5, 2720), "h09": (5, 2220), "h10": (4.5, 2720), "h11": (4.5, 3490), "h12": (4, 2720),
    "h13": (4, 6500), "h14": (4, 4770), "h15": (3, 3490), "h16": (3, 3490), "h17": (2, 3490), "h18": (3, 2720),
    "h19": (2, 3490), "h22": (2, 2720), "h23": (3, 4770), "h24": (1, 8070), "h25": (2, 10), "h26": (1, 10000),
    "h27": (1, 10000), "h28": (2, 8070), "h29": (2, 4770), "h30": (3, 6500), "h31": (4, 2220), "h32": (4, 2720),
    "h33": (4, 1350), "h34": (4, 2220), "h35": (4, 2720), "h36": (3, 2220), "h37": (3, 3490), "h38": (3, 1766),
}  # fmt: skip


def test_warf_lists_par_times_factor_and_sums_the_rest(hand) -> None:
    # warf_test (rating_basis moodys_derived): Σ par × factor = 402,573 over the 36 performing holdings.
    assert sum(p * f for p, f in DERIVED_FACTORS.values()) == 402_573
    frame = hand["warf_test"]
    top = [
        ("h13", 26_000),
        ("h30", 19_500),
        ("h14", 19_080),
        ("h07", 17_450),
        ("h28", 16_140),
        ("h11", 15_705),
        ("h03", 15_540),
        ("h02", 14_310),
        ("h23", 14_310),
        ("h01", 13_600),
        ("h08", 13_600),
        ("h04", 13_320),
        ("h10", 12_240),
        ("h09", 11_100),
        ("h06", 10_880),
        ("h12", 10_880),
        ("h32", 10_880),
        ("h35", 10_880),
        ("h15", 10_470),
        ("h16", 10_470),
    ]  # fmt: skip  (h37's 10,470 ties too and sorts after h16: it is in the rest)
    ranked = sorted(((h, p * f) for h, (p, f) in DERIVED_FACTORS.items()), key=lambda t: (-t[1], t[0]))
    assert ranked[:20] == top  # the hand list above is the table's 20 largest
    # The rest: h37 10,470, h26 and h27 10,000, h29 9,540, h31 and h34 8,880, h18 8,160, h24 8,070, h17 and h19
    # 6,980, h36 6,660, h05 and h22 5,440, h33 5,400, h38 5,298, h25 20 → 16 holdings, 116,218.
    assert _listed(frame) == [(h, 1, float(v)) for h, v in top] + [(None, 16, 116_218.0)]
    assert set(frame["measure"]) == {"par x rating factor (Moody's derived)"}
    assert math.fsum(frame["contribution"]) == pytest.approx(402_573 * M, rel=REL)


def test_oc_lists_carrying_values_and_principal_cash(hand) -> None:
    # ACPA 120.5475 = carrying values (par, except Xenon .2, Yarrow .4, Juniper 2.2, Zephyr 1.2, Kestrel 1.3, Wraith
    # 2.8875, Nimbus 3.16, Orion 1.4; defaulted Rhea 1.2, Sable .6) + principal cash 3 (a term: no holding's).
    listed = _listed(hand["oc_class_a"])
    assert listed[:3] == [("h03", 1, 7.0), ("h04", 1, 6.0), ("h01", 1, 5.0)]
    assert ("h14", 1, 3.16) in listed[:20]
    assert listed[-2:][0][:2] == (None, 18)  # 38 holdings: 20 listed, 18 summed
    assert listed[-1] == (None, 0, 3.0)
    assert hand["oc_class_a"]["measure"].iloc[-1] == "principal cash"
    assert math.fsum(hand["oc_class_a"]["contribution"]) == pytest.approx(120.5475 * M, rel=REL)


def test_ic_lists_interest_and_the_senior_fees(hand) -> None:
    # Interest for 90/360: Cobalt h04 6 × (4 % + 3.75 %) × .25 = .11625; fixed Orion h17 2 × 8 % × .25 = .04, Pavo h18
    # 3 × 6.5 % × .25 = .04875, Quasar h19 blank coupon 0; senior fees −.15; ICA 2.231875.
    listed = {h: c for h, _, c in _listed(hand["ic_class_a"]) if h}
    assert listed["h04"] == pytest.approx(0.11625)
    assert _listed(hand["ic_class_a"])[-1] == (None, 0, -0.15)
    assert math.fsum(hand["ic_class_a"]["contribution"]) == pytest.approx(2.231875 * M, rel=REL)


def test_was_with_the_excess_wac_credit_counts_fixed_coupons_over_the_reference(hand) -> None:
    # 46,125 = Σ floating par × spread 45,725 + fixed par × (coupon − 4.5) × 100: Orion 2 × 3.5 × 100 = 700, Pavo
    # 3 × 2 × 100 = 600, Quasar 2 × (0 − 4.5) × 100 = −900 (blank coupon counts 0).
    run, deal = _hand_run()
    (was,) = [e for e in contributions.explain(run, deal) if e.test_id == "was_test"]
    ids = run.holdings["holding_id"].to_numpy()[was.index]
    by_id = dict(zip(ids, was.amounts / M, strict=True))
    assert (by_id["h17"], by_id["h18"], by_id["h19"]) == pytest.approx((700.0, 600.0, -900.0))
    assert was.numerator == pytest.approx(46_125 * M, rel=REL)


def test_diversity_alone_is_not_explained_and_an_empty_bucket_has_no_rows(hand) -> None:
    assert "diversity_test" not in hand
    run, deal = _hand_run()
    explained = {e.test_id for e in contributions.explain(run, deal)}
    assert explained == {t.id for t in deal.tests} - {"diversity_test"}
    # Without Tundra's DIP flag no holding is a DIP loan: conc_dip is 0 and has nothing to list.
    records = [r | {"is_dip": False} for r in pool.records()]
    run = compute(pool.frame(records), deal)
    (dip,) = [e for e in contributions.explain(run, deal) if e.test_id == "conc_dip"]
    assert (len(dip.index), dip.numerator, run.test("conc_dip").current_value) == (0, 0.0, 0.0)
    rows = contributions.ranked_rows([dip], run.holdings["holding_id"].astype(str))
    assert rows.empty


CUSTOM = [
    {"id": "oc_senior", "category": "overcollateralization", "denominator_classes": ["A"]},
    {"id": "ic_senior", "category": "interest_coverage"},
    {"id": "x_ccc_excess", "metric": "ccc_excess", "unit": "usd"},
    {"id": "x_warf_c2", "metric": "warf", "unit": "rating_factor"},
    {"id": "x_was", "metric": "was_bps", "unit": "bps"},
    {"id": "x_obligor_par", "metric": "largest_obligor_par", "unit": "usd"},
    {"id": "x_diversity", "metric": "diversity_score", "unit": "score"},
]
"""Tests a deal may add: the issue-4 senior OC / IC and custom tests reading a metric."""


def _denominators(test_id: str, m: dict[str, Any]) -> float:
    """The denominator of each test's value, from the engine's intermediates: value = numerator / this."""
    inputs = m["test_inputs"].get(test_id, {})
    if test_id in m["ic_by_test"]:
        return m["ic_by_test"][test_id]["note_interest"] / 100
    if "denominator" in inputs:  # OC (class par) and every concentration (CPA), in percent
        return inputs["denominator"] / 100
    return {
        "ccc_bucket": m["collateral_principal_amount"] / 100,
        "warf_test": m["performing_par"],
        "x_warf_c2": m["performing_par"],
        "warr_test": m["performing_par"],
        "was_test": m["floating_par"],
        "x_was": m["floating_par"],
        "wac_test": m["fixed_par"],
        "wal_test": m["performing_par"] - m["wal_par_without_maturity"],
        "x_ccc_excess": 1.0,
        "x_obligor_par": 1.0,
    }[test_id]


@pytest.mark.parametrize("seed", range(30))
def test_every_explained_test_sums_to_the_numerator_of_its_value(seed: int) -> None:
    rows, raw = random_pool(seed)
    raw["tests"] += [{"name": t["id"], "direction": "min", "trigger_level": 1.0, "target_level": 1.0, **t}
                     for t in CUSTOM]  # fmt: skip
    deal = parse_deal(raw)
    run = compute(pool.frame(rows), deal)
    explained = contributions.explain(run, deal)
    values = {t.id: t.current_value for t in run.tests}
    unexplained = {"diversity_test", "x_diversity"}
    assert {e.test_id for e in explained} == {k for k, v in values.items() if v is not None} - unexplained
    frame = contributions.ranked_rows(explained, run.holdings["holding_id"].astype(str))
    for e in explained:
        numerator = values[e.test_id] * _denominators(e.test_id, run.metrics)
        assert e.numerator == pytest.approx(numerator, rel=REL, abs=1e-6), e.test_id
        mine = frame[frame["test_id"] == e.test_id]
        assert math.fsum(mine["contribution"]) == pytest.approx(numerator, rel=REL, abs=1e-6), e.test_id
        held = mine[mine["holding_id"].notna()]
        assert len(held) == min(len(e.index), contributions.TOP)
        assert mine["holdings"].sum() == len(e.index)  # the rest row counts the others; terms count none
        key = list(zip(-held["contribution"].abs(), held["holding_id"], strict=True))
        assert key == sorted(key)
        assert mine["rank"].tolist() == list(range(1, len(mine) + 1))
        if numerator != 0:
            assert math.fsum(mine["share"]) == pytest.approx(1.0, rel=1e-9)


@pytest.fixture(scope="module")
def demo(platform, tmp_path_factory) -> dict[str, Any]:
    """One 60-holding demo workbook landed and run through the clo and compliance assets; the marts built."""
    tenant = f"expl-{uuid.uuid4().hex[:6]}"
    lander = Lander(platform, tmp_path_factory.mktemp("contributions"))
    as_of = clo_demo.REPORT_DATES[0]
    content = clo_demo.workbook_bytes(clo_demo.generate_holdings(n_holdings=60), as_of)
    key = lander.land(tenant, "clo", f"clo_{as_of:%Y_%m}.xlsx", content, clo_demo.sidecar(as_of))
    result = lander.run(key, [*clo_file_assets, *compliance_file_assets])
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    platform.run_dbt("build", "--select", "staging.compliance", "marts.compliance")
    return {"tenant": tenant, "key": key}


def test_stored_rows_of_a_failing_demo_test_sum_to_its_numerator(platform, demo) -> None:
    engine, tenant, key = platform.warehouse, demo["tenant"], demo["key"]
    r, m, c = tables.compliance_results, tables.compliance_metrics, tables.contributions
    where = {"tenant_id": tenant, "partition_key": key}
    with engine.connect() as conn:
        results = {row.test_id: row for row in conn.execute(sa.select(r).filter_by(**where))}
        metrics = conn.execute(sa.select(m.c.metrics).filter_by(**where)).scalar_one()
        stored = pd.DataFrame(conn.execute(sa.select(c).filter_by(**where).order_by(c.c.test_id, c.c.rank)).mappings())
    failing = sorted(t for t, row in results.items() if row.status == "failed" and t in metrics["test_inputs"])
    assert failing, "the demo has a failing OC, IC or concentration test"
    for test_id in failing:
        rows = stored[stored["test_id"] == test_id]
        numerator = metrics["test_inputs"][test_id]["numerator"]  # published once, to 4 decimals
        # Each row and the numerator are rounded once to 4 decimals: at most 0.00005 each apart.
        total = math.fsum(float(v) for v in rows["contribution"])
        assert total == pytest.approx(numerator, abs=0.00005 * (len(rows) + 1)), test_id
        assert rows["rank"].tolist() == list(range(1, len(rows) + 1))
        held = rows[rows["holding_id"].notna()]
        assert (held["contribution"].astype(float).abs().diff().dropna() <= 0).all(), test_id
        assert set(held["holdings"]) <= {1}
    # A failing weighted average: Σ par × factor / performing par is the stored WARF (rounded once).
    assert results["warf_test"].status == "failed"
    warf = math.fsum(float(v) for v in stored[stored["test_id"] == "warf_test"]["contribution"])
    assert warf / metrics["performing_par"] == pytest.approx(float(results["warf_test"].current_value), abs=1e-4)
    ccc = stored[stored["test_id"] == "ccc_bucket"]
    assert math.fsum(float(v) for v in ccc["contribution"]) == pytest.approx(metrics["ccc_par"], abs=0.001)
    # OC lists the 20 largest carrying values of every holding, sums the others and adds principal cash.
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(clo_tables.holdings).filter_by(**where)).scalar()
    oc = stored[stored["test_id"] == "oc_class_a"]
    assert oc["holdings"].tolist()[-2:] == [count - 20, 0]
    assert oc["measure"].iloc[-1] == "principal cash"
    assert len(stored) == stored[["test_id", "rank"]].drop_duplicates().shape[0]


def test_the_mart_serves_them_with_the_holdings_cells(platform, demo) -> None:
    query = sa.text(
        "select * from marts.clo_compliance_contributions where tenant_id = :t and partition_key = :k"
        " and test_id = 'ccc_bucket' order by rank"
    )
    with platform.warehouse.connect() as conn:
        rows = conn.execute(query, {"t": demo["tenant"], "k": demo["key"]}).mappings().all()
    assert rows, "the demo has CCC holdings"
    assert {r["row_kind"] for r in rows} <= {"holding", "rest"}
    assert all(r["result_key"] == f"{demo['tenant']}:{demo['key']}:ccc_bucket" for r in rows)
    assert all(r["cusip"] and r["sheet"] == "Holdings" and r["row_index"] > 4 for r in rows if r["holding_id"])
    assert sum(float(r["share"]) for r in rows) == pytest.approx(1.0, abs=1e-5)

"""The covenant demo book (issue 14): one period basis, realistic breach rates, the same bytes every time.

Every flow (EBITDA, interest, capex, principal) is the last twelve months to the quarter end; debt and
current items are quarter-end balances. The bands below are worked from the generator's stated ranges,
not from its output: leverage at close 2.6–3.6×, annual interest rate 6.5–9.5 %.
"""

import json

import pandas as pd

from orchestration.covenants.demo import TENANT_SEEDS, covenants_csv, generate_portfolio, portfolio_files
from orchestration.covenants.evaluation import evaluate_covenants
from orchestration.covenants.inputs import parse_inputs


def _healthy_ratios(seed: int) -> pd.DataFrame:
    """Debt/EBITDA, EBITDA/interest and debt/interest of every quarter of the deals not planted to deteriorate."""
    portfolio = generate_portfolio(seed)
    rows = pd.DataFrame(
        {
            "deal": m["deal_id"]["value"],
            "period": m["period_end_iso"],
            "metric": m["metric_name"],
            "value": m["metric_value_scaled"],
        }
        for m in portfolio.measurements
        if m["deal_id"]["value"] not in portfolio.deteriorating
    )
    wide = rows.pivot_table(index=["deal", "period"], columns="metric", values="value", aggfunc="first")
    return pd.DataFrame(
        {
            "leverage": wide["total_debt"] / wide["ebitda"],
            "coverage": wide["ebitda"] / wide["interest_expense"],
            "debt_per_interest": wide["total_debt"] / wide["interest_expense"],
        }
    )


def test_flows_and_balances_share_one_basis():
    for seed in TENANT_SEEDS.values():
        ratios = _healthy_ratios(seed)
        # Debt over a year's interest is 1 / the annual rate: 1/0.095 = 10.5 … 1/0.065 = 15.4; ±10 % for the
        # debt's quarter-end noise against the four quarters' average → 9.5 … 17. Quarterly interest against
        # the same debt would give 42 … 62 (four times as much).
        assert ratios["debt_per_interest"].between(9.5, 17).all(), ratios["debt_per_interest"].describe()
        # Interest coverage at close = 1 / (leverage × rate): 1/(3.6 × 0.095) = 2.92 … 1/(2.6 × 0.065) = 5.92;
        # ±15 % for noise → 2.5 … 6.8 (the mixed basis gave about 20×).
        assert ratios["coverage"].between(2.5, 6.8).all(), ratios["coverage"].describe()
        # Leverage at close 2.6 … 3.6×, ±15 % → 2.2 … 4.15.
        assert ratios["leverage"].between(2.2, 4.15).all(), ratios["leverage"].describe()


def test_leverage_and_coverage_breach_at_realistic_rates():
    for seed in TENANT_SEEDS.values():
        portfolio = generate_portfolio(seed)
        covenants = parse_inputs(covenants_csv(portfolio.covenants).encode(), "c.csv").covenants
        body = json.dumps({"measurements": portfolio.measurements}).encode()
        measurements = parse_inputs(body, "m.json").measurements
        results = evaluate_covenants(covenants, measurements, tolerance=10)
        breaches = results[results["status"] == "BREACH"]
        # A stressed book with a third of its borrowers deteriorating: between 3 % and 15 % of the tests breach
        # (the mixed basis gave 2.9 % with no interest-coverage breach at all).
        assert 0.03 <= len(breaches) / len(results) <= 0.15
        by_formula = breaches["formula"].value_counts()
        assert by_formula.get("total_debt / ebitda", 0) > 0
        assert by_formula.get("ebitda / interest_expense", 0) > 0


def test_the_demo_is_deterministic(tmp_path):
    first = portfolio_files(generate_portfolio(1), tmp_path / "a", "acme")
    second = portfolio_files(generate_portfolio(1), tmp_path / "b", "acme")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert [p.name for p in first] == [
        "acme_deals.json",
        "acme_covenants.csv",
        "acme_measurements_2023.json",
        "acme_measurements_2024.json",
        "acme_measurements_2025.json",
    ]

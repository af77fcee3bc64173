"""The eighth factor: Short Interest is regressed on like the ETF factors once factors.yaml names a series folder.

The series is a per-ticker CSV (Yahoo layout) the test writes. The stock's daily return is built as 0.8 × SPY's
plus −0.6 × the short-interest series' return plus noise, so its univariate beta to Short Interest is worked
here with numpy as cov/var over the same 60 returns (1e-10), and the portfolio exposure is DAE × that beta.
Without a folder the factor stays `unavailable` with its reason; a folder that lacks the series is a typed error.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from orchestration.core.config import ConfigError
from orchestration.equity import calendar, pipeline, store
from orchestration.equity.config import load_settings

DAY = dt.date(2026, 11, 20)
BASE = load_settings()


def _world(tmp_path) -> tuple[pd.DataFrame, pd.Series]:
    """Closes of the ETFs and XYZ over 61 sessions; the short-interest index written to tmp_path/SI.csv."""
    sessions = calendar.sessions_back(DAY, BASE.beta_window + 1)
    rng = np.random.default_rng(11)
    returns = pd.DataFrame(rng.normal(0, 0.01, (len(sessions), len(BASE.etfs))), columns=BASE.etfs)
    si = pd.Series(rng.normal(0, 0.008, len(sessions)))
    returns["XYZ"] = 0.8 * returns["SPY"] - 0.6 * si + rng.normal(0, 0.004, len(sessions))
    returns.iloc[0], si.iloc[0] = 0.0, 0.0
    closes = 100.0 * (1.0 + returns).cumprod()
    closes.index = sessions
    index = 50.0 * (1.0 + si).cumprod()
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    lines += [f"{d.isoformat()},{v},{v},{v},{v},{v},0" for d, v in zip(sessions, index, strict=True)]
    (tmp_path / "SI.csv").write_text("\n".join(lines) + "\n")
    return closes, pd.Series(index.to_numpy(), index=sessions)


def _book() -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], float]]:
    held = pd.DataFrame(
        {
            "tenant_id": ["t"],
            "portfolio_id": ["p"],
            "position_id": ["stock"],
            "ticker": ["XYZ"],
            "position_type": ["LONG"],
            "underlying": ["XYZ"],
        }
    )
    greeks = pd.DataFrame(
        {"tenant_id": ["t"], "portfolio_id": ["p"], "position_id": ["stock"], "delta_adjusted_exposure": [10_000.0]}
    )
    return held, greeks, {("t", "p"): 10_000.0}


def test_a_configured_series_is_the_eighth_factor(tmp_path) -> None:
    settings = load_settings(environ={"CALCBRIDGE_SHORT_INTEREST_PATH": str(tmp_path)})
    settings = settings.model_copy(
        update={"short_interest": settings.short_interest.model_copy(update={"series": "SI"})}
    )
    closes, index = _world(tmp_path)
    with_si = store.with_short_interest(closes, settings)
    held, greeks, gross = _book()
    betas, exposures, diagnostics = pipeline.factor_betas(held, with_si, greeks, gross, DAY, settings)
    row = betas[betas["factor"] == "Short Interest"].iloc[0]
    y = closes["XYZ"].pct_change().iloc[1:].to_numpy()
    x = index.pct_change().iloc[1:].to_numpy()
    by_hand = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
    assert row["status"] == "ok"
    assert row["etf"] == "SI"
    assert row["n_obs"] == 60
    assert row["beta"] == pytest.approx(by_hand, abs=1e-10)
    assert -0.8 < row["beta"] < -0.4  # near the −0.6 the returns were built with
    exposure = exposures[exposures["factor"] == "Short Interest"].iloc[0]
    assert exposure["dollar_exposure"] == pytest.approx(10_000.0 * by_hand, rel=1e-9)
    assert "Short Interest" in set(diagnostics["factor"])


def test_without_a_folder_the_factor_is_unavailable_with_its_reason(tmp_path) -> None:
    closes, _ = _world(tmp_path)
    held, greeks, gross = _book()
    betas, exposures, _ = pipeline.factor_betas(held, store.with_short_interest(closes, BASE), greeks, gross, DAY, BASE)
    row = betas[betas["factor"] == "Short Interest"].iloc[0]
    assert row["status"] == "unavailable"
    assert "short_interest.series_path" in row["reason"]
    assert exposures[exposures["factor"] == "Short Interest"].iloc[0]["status"] == "unavailable"


def test_a_folder_without_the_series_is_a_typed_error(tmp_path) -> None:
    settings = load_settings(environ={"CALCBRIDGE_SHORT_INTEREST_PATH": str(tmp_path)})
    closes, _ = _world(tmp_path)  # writes SI.csv, but the configured series is SHORT_INTEREST
    with pytest.raises(ConfigError) as caught:
        store.with_short_interest(closes, settings)
    assert caught.value.code == "INVALID_EQUITY_CONFIG"
    assert "SHORT_INTEREST" in caught.value.where


def test_environment_overrides_name_the_variable_when_invalid() -> None:
    settings = load_settings(
        environ={
            "CALCBRIDGE_PRICE_SOURCE": "csv",
            "CALCBRIDGE_PRICE_CSV_FOLDER": "prices",
            "CALCBRIDGE_CALENDAR_START": "2023-03-01",
        }
    )
    assert settings.price_source.kind == "csv"
    assert settings.price_source.folder() is not None
    assert settings.price_source.folder().name == "prices"
    assert settings.calendar_start == dt.date(2023, 3, 1)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"CALCBRIDGE_PRICE_SOURCE": "bloomberg"})
    assert "$CALCBRIDGE_PRICE_SOURCE" in caught.value.where
    assert caught.value.where.endswith("price_source.kind")

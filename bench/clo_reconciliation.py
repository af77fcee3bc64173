"""Benchmark: CLO reconciliation (vectorised engine vs a naive row loop) and the monthly PDF report.

Targets (issue 8; seed 000 "Run Reconciliation" P50 30 s): 1,500 positions ≤ 1 s, 100,000 positions ≤ 10 s,
trustee_monthly PDF for 1,500 holdings ≤ 10 s. Run: `.venv/bin/python bench/clo_reconciliation.py`.

Both sides get the same generated frames and the same number of timed runs (median of 5 at 1,500 positions,
one run each at 100,000), after one untimed warm-up run each on a small book. Timed: the engine's `reconcile`
(matching, every field comparison, the variance rows and the summary) and the row loop (matching and field
comparisons, counting only: it builds no variance rows, so it does less). Not timed: generating the books,
loading the tolerance profile and rules, imports. The PDF is the median of 3 renders of already-built data.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from orchestration.core import ratings
from orchestration.reconciliation.config import load_profiles, load_rules
from orchestration.reconciliation.engine import ReconcileOptions, reconcile
from orchestration.reports.config import load_templates
from orchestration.reports.content import ReportData
from orchestration.reports.pdf import render_pdf

MOODYS = ("Ba3", "B1", "B2", "B3", "Caa1")


def book(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n internal positions and a statement with ~8% differing rows, 0.5% missing and 0.5% extra."""
    rng = random.Random(seed)
    cusips = [f"{i:08d}X" for i in range(n)]
    par = [float(rng.randrange(4, 21) * 250_000) for _ in range(n)]
    price = [round(rng.uniform(90, 100), 3) for _ in range(n)]
    columns: dict[str, list[Any]] = {
        "cusip": cusips,
        "isin": [f"US{c}0" for c in cusips],
        "issuer_name": [f"Issuer {i % 5000} Corp" for i in range(n)],
        "par_amount": par,
        "price": price,
        "market_value": [p * q / 100 for p, q in zip(par, price, strict=True)],
        "accrued_interest": [round(rng.uniform(1000, 20000), 2) for _ in range(n)],
        "rating_moodys": [rng.choice(MOODYS) for _ in range(n)],
    }
    internal = pd.DataFrame({"holding_id": [f"h{i}" for i in range(n)], **columns})
    ext = {k: list(v) for k, v in columns.items()}
    for i in rng.sample(range(n), k=max(1, n // 12)):
        kind = rng.randrange(5)
        if kind == 0:
            ext["par_amount"][i] += 250_000
        elif kind == 1:
            ext["price"][i] += rng.choice([0.1, 0.5, 0.005])
        elif kind == 2:
            ext["rating_moodys"][i] = rng.choice(MOODYS)
        elif kind == 3:
            ext["issuer_name"][i] = f"Renamed {i} Holdings"
        else:
            ext["accrued_interest"][i] += 10.0
    external = pd.DataFrame(ext)
    external["row_index"] = range(1, n + 1)
    external = external.drop(index=rng.sample(range(n), k=max(1, n // 200)))
    extra = external.head(max(1, n // 200)).copy()
    extra["cusip"] = [f"{i:08d}Y" for i in range(len(extra))]
    extra["isin"] = None
    return internal, pd.concat([external, extra], ignore_index=True)


LEGAL = re.compile(r"\b(INC|CORP|CORPORATION|CO|LLC|LTD|LP|PLC|HOLDINGS?)\b")


def naive_issuer(name: Any) -> str:
    """Upper case, letters and digits only, legal forms dropped."""
    return " ".join(LEGAL.sub(" ", re.sub(r"[^A-Z0-9]+", " ", str(name).upper())).split())


def naive_reconcile(internal: pd.DataFrame, external: pd.DataFrame, tolerance: Any) -> dict[str, int]:
    """The spreadsheet way in Python: loop over rows, look each up, compare field by field."""
    by_cusip: dict[str, dict[str, Any]] = {}
    for _, row in external.iterrows():
        by_cusip.setdefault(str(row["cusip"]).upper(), row.to_dict())
    matched = variances = 0
    seen: set[str] = set()
    for _, row in internal.iterrows():
        key = str(row["cusip"]).upper()
        other = by_cusip.get(key)
        if other is None or key in seen:
            continue
        seen.add(key)
        matched += 1
        for name in ("par_amount", "price", "market_value", "accrued_interest"):
            a, b = row[name], other[name]
            if pd.notna(a) and pd.notna(b) and abs(a - b) > 1e-9 * max(1.0, abs(b)):
                variances += 1
        if ratings.notch(row["rating_moodys"]) != ratings.notch(other["rating_moodys"]):
            variances += 1
        if naive_issuer(row["issuer_name"]) != naive_issuer(other["issuer_name"]):
            variances += 1
    return {"matched": matched, "variances": variances}


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    """Print one table: case, size, seconds, target, speed-up over the row loop."""
    tolerance = load_profiles()["default"]
    rules = load_rules()
    options = ReconcileOptions(tolerance=tolerance, rules=rules, report_date=dt.date(2026, 1, 31))
    rows: list[tuple[str, int, float, float | None, str]] = []
    warm_internal, warm_external = book(200, seed=2)
    reconcile(warm_internal, warm_external, workbook_id="wb", statement="bench", options=options)
    naive_reconcile(warm_internal, warm_external, tolerance)
    for n, target, repeat in ((1_500, 1.0, 5), (100_000, 10.0, 1)):
        internal, external = book(n)
        engine_s, result = timed(
            lambda i=internal, e=external: reconcile(i, e, workbook_id="wb", statement="bench", options=options),
            repeat,
        )
        naive_s, naive = timed(lambda i=internal, e=external: naive_reconcile(i, e, tolerance), repeat)
        assert naive["matched"] == result.summary["matched"], (naive, result.summary)
        assert naive["variances"] == result.summary["variances"], (naive, result.summary)
        runs = f"median of {repeat}" if repeat > 1 else "1 run"
        rows.append((f"reconcile (vectorised engine, {runs})", n, engine_s, target, f"{naive_s / engine_s:,.0f}x"))
        rows.append((f"row loop, counts only ({runs})", n, naive_s, None, "1x"))
    holdings, _ = book(1_500)
    holdings["spread"] = 350.0
    holdings["is_defaulted"] = False  # the holdings mart carries it; the CCC bucket reads it
    data = ReportData(
        workbook={"workbook_id": "wb", "name": "Bench CLO", "report_date": dt.date(2026, 1, 31)}, holdings=holdings
    )
    template = load_templates()["trustee_monthly"]
    pdf_s, pdf = timed(lambda: render_pdf(data, template), 3)
    rows.append((f"trustee_monthly PDF ({len(pdf) // 1024} KiB)", 1_500, pdf_s, 10.0, ""))

    print("includes: reconcile on in-memory frames, same runs per side; excludes: generating books, config, imports")
    print(f"{'case':<44} {'n':>8} {'seconds':>9} {'target':>7} {'ok':>4} {'vs baseline':>12}")
    for case, n, seconds, target, speedup in rows:
        ok = "" if target is None else ("yes" if seconds <= target else "NO")
        print(f"{case:<44} {n:>8,} {seconds:>9.3f} {target or '':>7} {ok:>4} {speedup:>12}")


if __name__ == "__main__":
    main()

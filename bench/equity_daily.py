"""The demo portfolio (seed 004: 50 positions) through Dagster: the 90-session backfill in one run, then one
daily partition of the whole chain (prices → valuation → Greeks → betas → risk → snapshot).

Run: `.venv/bin/python bench/equity_daily.py`. Uses a fresh embedded Postgres under a temporary home and the
synthetic price source. Baseline measured in the same run: the same day's market_prices asset alone. Target:
one full daily partition ≤ 20 s.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from orchestration.core import landing_log, migrate, postgres  # noqa: E402
from orchestration.core.resources import WarehouseResource  # noqa: E402
from orchestration.core.settings import PROJECT_ROOT, get_settings  # noqa: E402

TARGET_SECONDS = 20.0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="calcbridge-bench-") as home:
        os.chmod(home, 0o755)  # the embedded server may run as an unprivileged user when we are root
        for key in ("DATABASE_URL", "DAGSTER_PG_URL"):
            os.environ.pop(key, None)
        os.environ["CALCBRIDGE_HOME"] = home
        get_settings.cache_clear()
        settings = get_settings()
        try:
            postgres.ensure_databases(settings)
            migrate.upgrade(postgres.warehouse_url(settings))
            os.environ.update(postgres.runtime_env(settings))
            settings.dagster_home.mkdir(parents=True, exist_ok=True)
            shutil.copy(PROJECT_ROOT / "dagster.yaml", settings.dagster_home / "dagster.yaml")
            return _measure(Path(home))
        finally:
            postgres.stop_embedded(settings)
            get_settings.cache_clear()


def _measure(home: Path) -> int:
    from orchestration.equity import calendar
    from orchestration.equity.assets import daily_assets, equity_file_assets, market_prices
    from orchestration.equity.definitions import RANGE_END_TAG, RANGE_START_TAG
    from orchestration.equity.demo import write_demo
    from orchestration.equity.resources import PriceSourceResource

    instance = dg.DagsterInstance.get()
    resources = {"warehouse": WarehouseResource(), "price_source": PriceSourceResource()}
    write_demo(home / "landing", home / "scratch")
    engine = WarehouseResource().engine
    evaluation = landing_log.evaluate(
        engine, "equity", None, landing_root=home / "landing", archive_root=home / "archive", settle_seconds=0
    )
    key = evaluation.requests[0].partition_key
    instance.add_dynamic_partitions("equity_files", [key])
    assert dg.materialize(equity_file_assets, partition_key=key, instance=instance, resources=resources).success
    window = calendar.sessions_back(dt.date.today() - dt.timedelta(days=1), 90)
    start = time.perf_counter()
    backfill = dg.materialize(
        daily_assets,
        instance=instance,
        resources=resources,
        tags={RANGE_START_TAG: window[0].isoformat(), RANGE_END_TAG: window[-2].isoformat()},
    )
    backfill_seconds = time.perf_counter() - start
    day = window[-1].isoformat()
    start = time.perf_counter()
    prices_only = dg.materialize([market_prices], partition_key=day, instance=instance, resources=resources)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    daily = dg.materialize(daily_assets, partition_key=day, instance=instance, resources=resources)
    daily_seconds = time.perf_counter() - start
    ok = backfill.success and daily.success and prices_only.success
    rows = [
        (f"backfill {len(window) - 1} sessions, one run", f"{backfill_seconds:.1f} s", "a few minutes"),
        (f"market_prices alone, {day} (baseline)", f"{baseline:.1f} s", "-"),
        (f"full daily partition {day}", f"{daily_seconds:.1f} s", f"≤ {TARGET_SECONDS:.0f} s"),
    ]
    print("demo portfolio: 20 longs, 15 shorts, 15 options; synthetic prices")
    print(
        "includes: each dg.materialize call in process (Dagster's run bookkeeping, every asset's reads and "
        "writes, the checks); excludes: starting Postgres, migrations, landing the demo files and their "
        "equity_files partition, imports. The baseline runs one of the six daily assets: it does less. "
        "The full daily run follows the baseline on the same day, so its prices step rewrites that partition."
    )
    print(f"{'measure':46} {'value':>10} {'target':>14}")
    for name, value, target in rows:
        print(f"{name:46} {value:>10} {target:>14}")
    print(f"runs succeeded: {ok}; daily target met: {daily_seconds <= TARGET_SECONDS}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

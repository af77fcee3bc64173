"""The cumulative-return plot (portfolio NET and GROSS vs benchmark) as a markdown image for asset metadata."""

from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd


def cumulative_return_markdown(daily: pd.DataFrame, title: str) -> str:
    """A PNG of the ITD cumulative returns, embedded as a data URI so the Dagster UI shows it inline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=80)
    dates = pd.to_datetime(daily["date"])
    for column, label in (
        ("cumulative_net", "portfolio NET"),
        ("cumulative_gross", "portfolio GROSS"),
        ("cumulative_benchmark", "benchmark"),
    ):
        values = pd.to_numeric(daily[column], errors="coerce").astype(float) * 100
        if values.notna().any():
            ax.plot(dates, values, label=label, linewidth=1.2)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("cumulative return, %")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![cumulative return](data:image/png;base64,{encoded})"


def _pyplot() -> Any:
    """Matplotlib's pyplot on the non-interactive Agg backend, imported on first use (it costs a second)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt

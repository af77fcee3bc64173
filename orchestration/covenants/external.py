"""Loaders for the public bankruptcy datasets behind `breach_model_external` (issue 7; seed 001 train-external).

- `taiwan`: `taiwan_bankruptcy/data.csv` or `data.csv` (Kaggle "Company Bankruptcy Prediction");
  label `Bankrupt?` (1 = bankrupt), 95 ratio features.
- `us`: `american_bankruptcy/american_bankruptcy.csv` (or `.csv.gz`, or the shared folder's
  `american_bankruptcy_partial.csv.gz`); label `status_label` (failed = 1), features X1..X18; rows are
  split by company so the same firm never sits in two splits.
- `polish_<n>year`: `polish_bankruptcy/<n>year.arff` or `<n>year.arff` (UCI 365); label `class`,
  features `Attr1..Attr64`, `?` missing.

A missing file raises `ExternalDataMissingError` naming the exact paths looked for.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

POLISH_HORIZONS = (1, 2, 3, 4, 5)
EXTERNAL_DATASETS: tuple[str, ...] = ("taiwan", "us", *(f"polish_{n}year" for n in POLISH_HORIZONS))
"""The static partitions of `breach_model_external`: one per dataset file (UCI ships five Polish horizons)."""

CANDIDATES: dict[str, tuple[str, ...]] = {
    "taiwan": ("taiwan_bankruptcy/data.csv", "taiwan/data.csv", "data.csv"),
    "us": (
        "american_bankruptcy/american_bankruptcy.csv",
        "american_bankruptcy/american_bankruptcy.csv.gz",
        "american_bankruptcy/american_bankruptcy_partial.csv.gz",
        "american_bankruptcy.csv",
    ),
    **{f"polish_{n}year": (f"polish_bankruptcy/{n}year.arff", f"{n}year.arff") for n in POLISH_HORIZONS},
}


class ExternalDataMissingError(FileNotFoundError):
    """The dataset's file is not in the configured folder; the message names every path looked for."""


class ExternalDataInvalidError(ValueError):
    """The file is there but is not the expected format."""


@dataclass
class ExternalDataset:
    """Features (original column names), binary labels and, for the US file, the company of each row."""

    name: str
    path: Path
    features: pd.DataFrame
    labels: np.ndarray
    groups: np.ndarray | None = None

    @property
    def positive_rate(self) -> float:
        return float(self.labels.mean()) if len(self.labels) else 0.0


def locate(dataset: str, folder: Path) -> Path:
    """The first candidate file that exists, or ExternalDataMissingError with the exact expected path(s)."""
    if dataset not in CANDIDATES:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(EXTERNAL_DATASETS)}")
    paths = [folder / relative for relative in CANDIDATES[dataset]]
    for path in paths:
        if path.is_file():
            return path
    raise ExternalDataMissingError(
        f"dataset {dataset!r}: expected file {paths[0]} (also tried: {', '.join(str(p) for p in paths[1:])})"
    )


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def load_taiwan(path: Path) -> ExternalDataset:
    """Kaggle's Taiwan file: `Bankrupt?` then 95 ratio columns (names keep their text, outer spaces removed)."""
    frame = pd.read_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if "Bankrupt?" not in frame.columns:
        raise ExternalDataInvalidError(f"{path}: no 'Bankrupt?' column")
    labels = frame.pop("Bankrupt?").astype(int).to_numpy()
    return ExternalDataset("taiwan", path, frame.apply(pd.to_numeric, errors="coerce"), labels)


def load_us(path: Path) -> ExternalDataset:
    """`company_name,status_label,year,X1..X18`; failed = 1. Rows keep their company for a grouped split."""
    frame = pd.read_csv(io.StringIO(_read_text(path)))
    required = {"company_name", "status_label", *(f"X{i}" for i in range(1, 19))}
    missing = sorted(required - set(frame.columns))
    if missing:
        raise ExternalDataInvalidError(f"{path}: missing column(s) {missing}")
    status = frame["status_label"].str.strip().str.lower()
    unknown = sorted(set(status) - {"alive", "failed"})
    if unknown:
        raise ExternalDataInvalidError(f"{path}: status_label values {unknown} are not alive/failed")
    features = frame[[f"X{i}" for i in range(1, 19)]].apply(pd.to_numeric, errors="coerce")
    return ExternalDataset(
        "us", path, features, (status == "failed").astype(int).to_numpy(), frame["company_name"].to_numpy()
    )


def load_arff(path: Path, name: str | None = None) -> ExternalDataset:
    """A UCI Polish-bankruptcy ARFF: numeric `Attr*` attributes and a nominal `class` {0,1}; `?` is missing."""
    text = _read_text(path)
    attributes: list[str] = []
    lines = text.splitlines()
    data_start = None
    for number, line in enumerate(lines):
        stripped = line.strip()
        lower = stripped.lower()
        if lower.startswith("@attribute"):
            parts = stripped.split(None, 2)
            if len(parts) < 3:
                raise ExternalDataInvalidError(f"{path}:{number + 1}: malformed @attribute line")
            attributes.append(parts[1].strip("'\""))
        elif lower.startswith("@data"):
            data_start = number + 1
            break
    if data_start is None or "class" not in attributes:
        raise ExternalDataInvalidError(f"{path}: not an ARFF file with a 'class' attribute and a @data section")
    rows = list(csv.reader(line for line in lines[data_start:] if line.strip() and not line.startswith("%")))
    bad = [i for i, row in enumerate(rows) if len(row) != len(attributes)]
    if bad:
        raise ExternalDataInvalidError(f"{path}: data row {bad[0] + 1} has a wrong number of fields")
    frame = pd.DataFrame(rows, columns=attributes).replace("?", np.nan)
    labels = frame.pop("class").astype(int).to_numpy()
    features = frame.apply(pd.to_numeric, errors="coerce")
    return ExternalDataset(name or path.stem, path, features, labels)


def load_dataset(dataset: str, folder: Path) -> ExternalDataset:
    """Find and load one partition's dataset from `folder`."""
    path = locate(dataset, folder)
    if dataset == "taiwan":
        return load_taiwan(path)
    if dataset == "us":
        return load_us(path)
    return load_arff(path, dataset)

"""Variance resolutions as data: parse a landed resolutions file, validate each row, and build the history.

The API is read-only, so seed 000's resolve request arrives as a CSV or JSON file. History is append-only:
every reconciliation records an `opened` event per variance (plus one per auto-rule firing) and every
accepted resolution row appends an event; a variance's current status is its latest event. A row for an
unknown variance is rejected with its reason and does not stop the others.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from typing import Any

import pandas as pd

from orchestration.core.errors import InputError
from orchestration.core.safe_parse import load_json
from orchestration.reconciliation.engine import RESOLUTION_TYPES, STATUSES
from orchestration.reconciliation.ids import NAMESPACE

FIELDS: tuple[str, ...] = ("variance_id", "resolution_type", "explanation", "action", "resolved_by", "status")
REQUIRED: tuple[str, ...] = ("variance_id", "resolution_type")
STATUS_FOR_TYPE: dict[str, str] = {"explained": "explained", "corrected": "resolved", "auto_resolved": "resolved"}
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "variance_id",
    "reconciliation_id",
    "seq",
    "status",
    "resolution_type",
    "explanation",
    "action",
    "resolved_by",
    "rule_id",
    "source",
    "recorded_at",
)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def parse_resolutions(data: bytes, file_name: str) -> pd.DataFrame:
    """Rows of a resolutions file (CSV with a header, or JSON: a list or `{"resolutions": [...]}`)."""
    where = f"resolutions/{file_name}"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError("RESOLUTIONS_INVALID_FORMAT", "file is not UTF-8 text", where) from error
    records: list[Mapping[str, Any]]
    if file_name.lower().endswith(".json"):
        payload = load_json(text, code="RESOLUTIONS_INVALID_FORMAT", where=where)
        if isinstance(payload, dict):
            payload = payload.get("resolutions")
        if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
            raise InputError(
                "RESOLUTIONS_INVALID_FORMAT", 'expected a list of objects or {"resolutions": [...]}', where
            )
        records = payload
    else:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError("RESOLUTIONS_INVALID_FORMAT", f"CSV header lacks {missing}", where, {"header": header})
        records = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    if not records:
        raise InputError("RESOLUTIONS_EMPTY", "the file holds no resolutions", where)
    rows = [{name: _text(record.get(name)) for name in FIELDS} for record in records]
    frame = pd.DataFrame(rows, columns=list(FIELDS))
    frame.insert(0, "row_index", range(len(frame)))
    return frame


def _rejection(row: Mapping[str, Any], known: Mapping[str, str]) -> str | None:
    variance = row["variance_id"]
    if variance is None:
        return "variance_id is missing"
    try:
        uuid.UUID(variance)
    except ValueError:
        return f"variance_id {variance!r} is not a UUID"
    if variance.lower() not in known:
        return f"unknown variance {variance}: no reconciliation of this tenant has it"
    if row["resolution_type"] not in RESOLUTION_TYPES:
        return f"resolution_type {row['resolution_type']!r} is not one of {list(RESOLUTION_TYPES)}"
    if row["status"] is not None and row["status"] not in STATUSES:
        return f"status {row['status']!r} is not one of {list(STATUSES)}"
    return None


def review_resolutions(requests: pd.DataFrame, known: Mapping[str, str]) -> pd.DataFrame:
    """Each request with `outcome` applied/rejected, `rejection_reason`, the new `status` and its reconciliation.

    `known` maps every variance id of the tenant (lower case) to its reconciliation id.
    """
    out = requests.copy()
    reasons = [_rejection(row, known) for row in out.to_dict(orient="records")]
    out["rejection_reason"] = reasons
    out["outcome"] = ["rejected" if r else "applied" for r in reasons]
    out["variance_id"] = [v.lower() if r is None else v for v, r in zip(out["variance_id"], reasons, strict=True)]
    out["reconciliation_id"] = [
        known.get(v) if r is None else None for v, r in zip(out["variance_id"], reasons, strict=True)
    ]
    out["status"] = [
        (s or STATUS_FOR_TYPE[t]) if r is None else None
        for s, t, r in zip(out["status"], out["resolution_type"], reasons, strict=True)
    ]
    return out


def event_id(partition: str, seq: int) -> str:
    """uuid5 of the writing partition and the event's position in it (stable across re-runs)."""
    return str(uuid.uuid5(NAMESPACE, f"event:{partition}:{seq}"))


def resolution_events(reviewed: pd.DataFrame, partition: str, recorded_at: Any) -> pd.DataFrame:
    """History events for the applied rows of one resolutions file, in file order."""
    applied = reviewed[reviewed["outcome"] == "applied"]
    return pd.DataFrame(
        {
            "event_id": [event_id(partition, int(i)) for i in applied["row_index"]],
            "variance_id": applied["variance_id"].to_numpy(),
            "reconciliation_id": applied["reconciliation_id"].to_numpy(),
            "seq": applied["row_index"].astype("int64").to_numpy(),
            "status": applied["status"].to_numpy(),
            "resolution_type": applied["resolution_type"].to_numpy(),
            "explanation": applied["explanation"].to_numpy(),
            "action": applied["action"].to_numpy(),
            "resolved_by": applied["resolved_by"].to_numpy(),
            "rule_id": None,
            "source": "resolution_file",
            "recorded_at": recorded_at,
        },
        columns=list(EVENT_COLUMNS),
    )


def reconciliation_events(
    variances: pd.DataFrame, reconciliation_id: str, partition: str, recorded_at: Any
) -> pd.DataFrame:
    """An `opened` event per variance, then one `resolved` event per auto-rule firing (same timestamp, later seq)."""
    opened = pd.DataFrame(
        {
            "variance_id": variances["variance_id"].to_numpy(),
            "status": "open",
            "resolution_type": None,
            "explanation": None,
            "action": None,
            "rule_id": None,
            "source": "reconciliation",
        }
    )
    auto = variances[variances["auto_rule_id"].notna()]
    fired = pd.DataFrame(
        {
            "variance_id": auto["variance_id"].to_numpy(),
            "status": "resolved",
            "resolution_type": "auto_resolved",
            "explanation": auto["explanation"].to_numpy(),
            "action": auto["action"].to_numpy(),
            "rule_id": auto["auto_rule_id"].to_numpy(),
            "source": "auto_rule",
        }
    )
    events = pd.concat([opened, fired], ignore_index=True) if len(fired) else opened
    events["seq"] = range(len(events))
    events["event_id"] = [event_id(f"{partition}:{reconciliation_id}", s) for s in range(len(events))]
    events["reconciliation_id"] = reconciliation_id
    events["resolved_by"] = [None if r is None else f"auto:{r}" for r in events["rule_id"]]
    events["recorded_at"] = recorded_at
    return events[list(EVENT_COLUMNS)]


def current_status(events: pd.DataFrame) -> pd.DataFrame:
    """The latest event per variance (by recorded_at, then seq): its current status and resolution."""
    if events.empty:
        return events.copy()
    ordered = events.sort_values(["variance_id", "recorded_at", "seq"], kind="stable")
    return ordered.groupby("variance_id", sort=False).tail(1).reset_index(drop=True)

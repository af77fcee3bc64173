"""The canonical holding fields, the detection thresholds and the shapes a mapping returns."""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from orchestration.core.settings import PROJECT_ROOT

MAPPINGS_DIR = PROJECT_ROOT / "assets_config" / "mappings"
ALIASES_DIR = MAPPINGS_DIR / "aliases"

CANONICAL_FIELDS: tuple[str, ...] = (
    "cusip", "isin", "issuer_name", "par_amount", "market_value", "price", "spread", "coupon",
    "accrued_interest", "rating_moodys", "rating_sp", "rating_fitch", "maturity_date", "industry",
    "country", "currency", "is_defaulted", "asset_type", "seniority", "purchase_price", "unfunded_amount",
    "is_cov_lite", "is_dip", "is_current_pay", "is_participation", "is_pik", "moodys_watch", "loanx_id", "figi",
    "asset_id",
)  # fmt: skip
"""Canonical holding fields (analytics.clo_holdings adds ids, sheet, row_index, raw_data and the check flags).

The holding terms of issue 21 (`terms`: seniority … moodys_watch) follow asset_type; the loan identifiers come
last: on an equal auto-detect score the earlier field keeps the column."""
IDENTIFIER_FIELDS: tuple[str, ...] = ("cusip", "isin", "loanx_id", "figi", "asset_id")
"""The identifiers a holding may carry; it needs at least one (HOLDING_IDENTIFIER_MISSING otherwise)."""
NUMERIC_FIELDS = (
    "par_amount", "market_value", "price", "spread", "coupon", "accrued_interest", "purchase_price", "unfunded_amount",
)  # fmt: skip
BOOL_FIELDS = ("is_defaulted", "is_cov_lite", "is_dip", "is_current_pay", "is_participation", "is_pik")
"""Never null: a blank or unmapped flag is False (an unreadable one too, after its validation failure)."""
TEXT_FIELDS = ("issuer_name", "industry", "country", "currency")
RATING_AGENCY = {"rating_moodys": "moodys", "rating_sp": "sp", "rating_fitch": "fitch"}
HOLDING_COLUMNS: tuple[str, ...] = (
    "workbook_id", "holding_id", "sheet", "row_index", *CANONICAL_FIELDS, "raw_data", "cusip_valid", "isin_valid",
    "figi_valid", "source_cells",
)  # fmt: skip
"""Columns of `HoldingsExtraction.holdings` (the table's, less tenant_id and partition_key)."""

FIELD_KIND: dict[str, str] = {
    "cusip": "cusip", "isin": "isin", "issuer_name": "text", "par_amount": "number", "market_value": "number",
    "price": "number", "spread": "number", "coupon": "number", "accrued_interest": "number",
    "rating_moodys": "moodys", "rating_sp": "sp_fitch", "rating_fitch": "sp_fitch", "maturity_date": "date",
    "industry": "text", "country": "text", "currency": "text", "is_defaulted": "bool", "asset_type": "asset_type",
    "seniority": "seniority", "purchase_price": "number", "unfunded_amount": "number", "is_cov_lite": "flag",
    "is_dip": "flag", "is_current_pay": "flag", "is_participation": "flag", "is_pik": "flag",
    "moodys_watch": "moodys_watch", "loanx_id": "loanx", "figi": "figi", "asset_id": "asset_id",
}  # fmt: skip
"""The kind of values each field expects, compared with a column's sample values."""

HOLDINGS_SHEET_WORDS = ("holding", "position", "portfolio", "collateral", "asset", "loan", "security")
HEADER_SCAN_ROWS = 40
SAMPLE_SIZE = 200
SAMPLE_ROWS = 5000
MIN_CONFIDENCE = 0.5
SHAPE_ONLY_FIT = 0.75
"""Credit for an identifier of the right shape whose check digit fails (a typo, not another kind of column)."""
_TOTAL_START = frozenset("TtGgSs \t")
"""First characters a total row's label can start with (checked before the regex, which is slower)."""
_TOTAL_ROW = re.compile(r"^\s*(grand\s+)?(sub\s*-?\s*)?totals?\b|^\s*sum\b", re.IGNORECASE)
_DATE_LABEL = re.compile(r"\b(as\s*of|as-of|report(ing)?\s+date|determination\s+date|valuation\s+date)\b", re.I)


def canonical_sha256(document: dict[str, Any]) -> str:
    """The sha256 of a document in canonical JSON (keys sorted, no spaces, UTF-8; a YAML date as its text).

    A mapping profile's version (raw.clo_workbooks.mapping_profile_version) is this of its YAML document as loaded.
    """
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class FieldMapping:
    """A canonical field's source column and transform in a profile."""

    source: str
    transform: str | None = None


@dataclass(frozen=True)
class MappingProfile:
    """A mapping profile (seed 000 Mapping Profile Response) loaded from YAML."""

    id: str
    name: str
    description: str
    version: int
    mappings: dict[str, FieldMapping]
    alias_profile: str | None
    validation_rules: tuple[dict[str, Any], ...]
    sheet: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    definition_sha256: str | None = field(default=None, compare=False)
    """`canonical_sha256` of the YAML document as loaded; None for a profile built in code."""

    def to_dict(self) -> dict[str, Any]:
        """The profile as the API returns it."""
        out = asdict(self)
        out.pop("definition_sha256")
        out["validation_rules"] = list(self.validation_rules)
        return out

    @property
    def version_sha256(self) -> str:
        """The profile's version as recorded with a workbook: its document's sha256, else that of `to_dict()`."""
        return self.definition_sha256 or canonical_sha256(self.to_dict())


@dataclass(frozen=True)
class AliasProfile:
    """Header aliases per canonical field (compared after `normalize_header`)."""

    name: str
    description: str
    fields: dict[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        """The alias profile as the API returns it."""
        return {
            "name": self.name,
            "description": self.description,
            "fields": {k: list(v) for k, v in self.fields.items()},
        }


@dataclass
class MappingDiagnostics:
    """What was mapped, how confidently, what was left over and which values failed validation."""

    sheet: str
    header_row: int
    profile_id: str | None
    mode: str
    detected_mappings: dict[str, dict[str, Any]]
    unmapped_columns: list[str]
    unmapped_target_fields: list[str]
    validation_failures: list[dict[str, Any]]
    column_types: dict[str, str]
    skipped_rows: dict[str, int]
    normalisations: list[str] = field(default_factory=list)
    sheets_found: list[str] = field(default_factory=list)
    profile_version: str | None = None
    """The profile's `version_sha256` (raw.clo_workbooks.mapping_profile_version); None when auto-detected."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics."""
        return asdict(self)


@dataclass
class HoldingsExtraction:
    """Canonical holdings (one row per source row) and the mapping diagnostics."""

    holdings: pd.DataFrame
    diagnostics: MappingDiagnostics

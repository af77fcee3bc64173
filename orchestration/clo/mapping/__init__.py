"""Map a parsed workbook's holdings sheet onto CalcBridge's canonical holding columns.

A mapping profile (assets_config/mappings/*.yaml, seed 000's shape) names the source column and transform of
each canonical field; without one, or for the fields a profile's columns do not cover, columns are
auto-detected from normalised headers (alias dictionaries in assets_config/mappings/aliases/) and value
patterns (CUSIP/ISIN/FIGI check digits, the LoanX ID shape, each agency's rating tokens, dates, numbers), each
with a confidence 0–1.
The holdings sheet and its header row are found by content, so headers need not be on row 1; merged header
cells are spread over their range; blank rows and total rows are skipped and counted.

Modules, in pipeline order: `fields` (canonical fields, result shapes), `profiles` (YAML profiles and
aliases), `headers` (sheet and header row), `detect` (auto-detect), `transforms` (per-field transforms and
validation rules), `identifiers` (check flags, at least one identifier per holding), `extract` (the extraction
itself), `source_cells` (each holding field's cell, header and transform), `workbook_facts` (schema drift, report
date).
"""

from orchestration.clo.mapping.detect import auto_detect
from orchestration.clo.mapping.extract import extract_holdings
from orchestration.clo.mapping.fields import (
    CANONICAL_FIELDS,
    HOLDING_COLUMNS,
    IDENTIFIER_FIELDS,
    AliasProfile,
    FieldMapping,
    HoldingsExtraction,
    MappingDiagnostics,
    MappingProfile,
)
from orchestration.clo.mapping.headers import choose_sheet
from orchestration.clo.mapping.profiles import load_aliases, load_profiles
from orchestration.clo.mapping.workbook_facts import find_report_date, schema_drift

__all__ = [
    "CANONICAL_FIELDS",
    "HOLDING_COLUMNS",
    "IDENTIFIER_FIELDS",
    "AliasProfile",
    "FieldMapping",
    "HoldingsExtraction",
    "MappingDiagnostics",
    "MappingProfile",
    "auto_detect",
    "choose_sheet",
    "extract_holdings",
    "find_report_date",
    "load_aliases",
    "load_profiles",
    "schema_drift",
]

"""Where each mapped field of a holding came from: its cell's A1 reference, its header and the transform applied.

`analytics.clo_holdings.source_cells` holds per holding `{field: {"cell": "Holdings!C17", "column": "Face Value",
"transform": "number"}}` for every mapped field whose cell is not empty (docs/clo.md "Source cells"). A sheet name
is quoted the way Excel writes it when it needs quotes (`'My Sheet'!C17`); a CSV's one sheet is named like its
file (`reader._read_csv`). Each holding's document is built as JSON text, a few thousand rows at a time, and kept
as an `orjson.Fragment` that the warehouse writer embeds as it is: a 60,000-row workbook's documents take about a
third of the memory nested dicts would. `decode` reads one back as a dict.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from orchestration.clo import normalize as nz
from orchestration.clo.mapping.transforms import transform_name

CHUNK_ROWS = 4096
"""Rows whose documents are built at once (the per-field text columns of one chunk are all that is transient)."""
_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*([Cc][0-9]*)?|[Cc][0-9]*)$")
"""Names Excel would read as a cell (`AB12`) or an R1C1 reference (`R`, `C3`, `R1C1`): quoted too."""


@dataclass(frozen=True)
class FieldSource:
    """A mapped field's source column (0-based, with its header) and the name of the transform applied to it."""

    field: str
    column: int
    header: str
    transform: str


def quote_sheet(name: str) -> str:
    """The sheet name as Excel writes it in a reference: bare when plain, else in quotes with `'` doubled."""
    if _PLAIN_SHEET.match(name) and not _CELL_LIKE.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def cell_ref(sheet: str, column: int, row: int) -> str:
    """The A1 reference of a cell: 0-based column, 1-based (Excel) row, e.g. `Holdings!C17`."""
    return f"{quote_sheet(sheet)}!{nz.column_letter(column)}{row}"


def decode(value: Any) -> dict[str, Any] | None:
    """A holding's source_cells as a dict, whether as built (an `orjson.Fragment`), JSON text or already a dict."""
    if value is None:
        return None
    if isinstance(value, orjson.Fragment):
        value = orjson.dumps(value)
    return orjson.loads(value) if isinstance(value, str | bytes) else dict(value)


def _entry_parts(sheet: str, source: FieldSource) -> tuple[str, str]:
    """The JSON text of one field's entry before and after the row number (`"par_amount":{"cell":"H!C` … `"}`)."""
    dumps = json.dumps
    reference = f"{quote_sheet(sheet)}!{nz.column_letter(source.column)}"
    head = f'{dumps(source.field)}:{{"cell":{dumps(reference, ensure_ascii=False)[:-1]}'
    tail = f'","column":{dumps(source.header, ensure_ascii=False)},"transform":{dumps(source.transform)}}}'
    return head, tail


def documents(
    sheet: str,
    sources: Sequence[FieldSource],
    by_column: Sequence[Sequence[Any]],
    row_index: Sequence[int],
    moved: Mapping[int, Mapping[str, FieldSource | None]] | None = None,
) -> list[orjson.Fragment]:
    """Each row's source_cells document; a field is left out where its cell is empty (None).

    `by_column` holds the kept rows' raw cells per sheet column, `row_index` their Excel row numbers; `moved`
    overrides the sources of a few rows (row position → field → source, None to leave the field out), e.g. a
    LoanX ID read from the CUSIP column.
    """
    parts = [_entry_parts(sheet, s) for s in sources]
    numbers = np.array([str(r) for r in row_index], dtype=object)
    out: list[orjson.Fragment] = []
    for start in range(0, len(numbers), CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        chunk = numbers[start:stop]
        texts = []
        for (head, tail), source in zip(parts, sources, strict=True):
            text = head + chunk + tail
            values = by_column[source.column][start:stop]
            text[np.fromiter((v is None for v in values), dtype=bool, count=len(values))] = ""
            texts.append(text)
        out.extend(orjson.Fragment("{" + ",".join(filter(None, row)) + "}") for row in zip(*texts, strict=True))
    for position, overrides in (moved or {}).items():
        out[position] = _row_document(sheet, sources, overrides, by_column, position, row_index[position])
    return out


def _row_document(
    sheet: str,
    sources: Sequence[FieldSource],
    overrides: Mapping[str, FieldSource | None],
    by_column: Sequence[Sequence[Any]],
    position: int,
    row: int,
) -> orjson.Fragment:
    """One row's document with some of its fields' sources replaced or left out."""
    entries = []
    for source in ({s.field: s for s in sources} | dict(overrides)).values():
        if source is not None and by_column[source.column][position] is not None:
            head, tail = _entry_parts(sheet, source)
            entries.append(f"{head}{row}{tail}")
    return orjson.Fragment("{" + ",".join(entries) + "}")


def holding_documents(
    sheet: str,
    detected: Mapping[str, Mapping[str, Any]],
    transforms: Mapping[str, str | None],
    by_column: Sequence[Sequence[Any]],
    row_index: Sequence[int],
    rescaled: set[str],
    moved: Sequence[int],
) -> list[orjson.Fragment]:
    """The holdings' source_cells: each mapped field's column, header and transform (`transform_name`), per row.

    `detected` maps field → {column, source_column}, `transforms` field → the profile's transform; the rows at the
    `moved` positions had their LoanX ID moved out of the CUSIP column (`identifiers.split_combined_column`).
    """
    sources = [
        FieldSource(f, info["column"], info["source_column"], transform_name(f, transforms.get(f), f in rescaled))
        for f, info in detected.items()
    ]
    overrides: dict[int, dict[str, FieldSource | None]] = {}
    if moved and "cusip" in detected:
        cusip = detected["cusip"]
        loanx = FieldSource("loanx_id", cusip["column"], cusip["source_column"], "identifier")
        overrides = {position: {"cusip": None, "loanx_id": loanx} for position in moved}
    return documents(sheet, sources, by_column, row_index, overrides)

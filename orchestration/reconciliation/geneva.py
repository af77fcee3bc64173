"""Parse a Geneva (Advent) XML portfolio export into canonical holding columns, safely (defusedxml).

Geneva exports differ by report template, so the parser does not insist on one schema: every element whose
leaf children or attributes name an identifier (CUSIP or ISIN) and a par/quantity is a position; names are
matched case-insensitively against an alias table. The report date comes from an `AsOfDate`/`PeriodEndDate`
/`ReportDate`-like element or attribute anywhere in the document.

Each position's `source_cells` names where every mapped value came from: the element path from the root by local
names, with a sibling's 1-based position where its parent has several of that name (an attribute as `/@Name`), the
line of its start tag, the element or attribute name and the transform (docs/reconciliation.md "Source cells").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import orjson
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from orchestration.core.errors import InputError

ALIASES: dict[str, tuple[str, ...]] = {
    "cusip": ("cusip", "investmentcusip", "cusipcode"),
    "isin": ("isin", "investmentisin", "isincode"),
    "loanx_id": ("loanxid", "loanx", "lxid", "investmentloanxid", "markitid"),
    "figi": ("figi", "investmentfigi", "bloombergfigi", "bbgid", "idbbglobal"),
    "asset_id": ("assetid", "assetidentifier", "facilityid", "adminid"),
    "issuer_name": ("issuername", "issuer", "investmentdescription", "description", "securityname", "name"),
    "par_amount": ("paramount", "par", "quantity", "faceamount", "currentface", "originalface", "parvalue"),
    "price": ("price", "marketprice", "localprice", "unitprice", "priceclean"),
    "market_value": ("marketvalue", "marketvaluelocal", "marketvaluebook", "localmarketvalue", "mv"),
    "accrued_interest": ("accruedinterest", "accrued", "accruedinterestlocal", "interestaccrued"),
    "rating_moodys": ("moodysrating", "ratingmoodys", "moodys"),
    "rating_sp": ("sprating", "ratingsp", "snprating", "standardandpoors"),
    "rating_fitch": ("fitchrating", "ratingfitch", "fitch"),
    "currency": ("currency", "localcurrency", "currencycode"),
    "maturity_date": ("maturitydate", "maturity"),
    "coupon": ("coupon", "couponrate"),
}
NUMERIC = ("par_amount", "price", "market_value", "accrued_interest", "coupon")
IDENTIFIER_TAGS: tuple[str, ...] = ("cusip", "isin", "loanx_id", "figi", "asset_id")
"""A position element needs one of these (and a par or quantity)."""
TRANSFORMS: dict[str, str] = {"loanx_id": "identifier", "figi": "identifier", "asset_id": "upper",
                              "maturity_date": "date", **dict.fromkeys(NUMERIC, "number")}  # fmt: skip
"""The transform each field's text goes through (the names of the CLO mapping's); any other field: `text`."""
DATE_NAMES = ("asofdate", "periodenddate", "reportdate", "enddate", "valuationdate", "knowledgedate")
_LOOKUP = {alias: canonical for canonical, aliases in ALIASES.items() for alias in aliases}


def _local(tag: Any) -> str:
    name = str(tag)
    return name.rsplit("}", 1)[-1].replace("_", "").replace("-", "").lower()


def parse_number(value: object) -> float | None:
    """A number from text: thousands separators, a currency sign and accounting parentheses allowed."""
    if value is None:
        return None
    text = str(value).strip().replace(",", "").replace("$", "")
    negative = text.startswith("(") and text.endswith(")")
    try:
        number = float(text.strip("()"))
    except ValueError:
        return None
    return -number if negative else number


def parse_date(value: Any) -> dt.date | None:
    """ISO, US (m/d/Y) or compact (YYYYMMDD) dates, with or without a time part."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\b\d{8}\b", text)
    if not match:
        return None
    token = match.group(0)
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(token, fmt).date()
        except ValueError:
            continue
    return None


def _name(tag: Any) -> str:
    """An element's or attribute's name without its namespace, as written."""
    return str(tag).rsplit("}", 1)[-1]


def _child_steps(element: Element) -> list[tuple[Element, str]]:
    """Each child with its path step: its name, with its 1-based position among same-named siblings when not alone."""
    counts = Counter(_name(child.tag) for child in element)
    seen: Counter[str] = Counter()
    steps: list[tuple[Element, str]] = []
    for child in element:
        name = _name(child.tag)
        seen[name] += 1
        steps.append((child, f"{name}[{seen[name]}]" if counts[name] > 1 else name))
    return steps


def _fields(element: Element, path: str, lines: dict[int, int]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """(values, where each came from) by normalised name: attributes first, then leaf children with text."""
    values: dict[str, str] = {}
    sources: dict[str, dict[str, Any]] = {}
    for name, value in element.attrib.items():
        key = _local(name)
        if key not in values:
            values[key] = value
            sources[key] = {"cell": f"{path}/@{_name(name)}", "line": lines[id(element)], "column": _name(name)}
    for child, step in _child_steps(element) if len(element) else ():
        key = _local(child.tag)
        if len(child) == 0 and child.text is not None and child.text.strip() and key not in values:
            values[key] = child.text.strip()
            sources[key] = {"cell": f"{path}/{step}", "line": lines[id(child)], "column": _name(child.tag)}
    return values, sources


class _LineTarget:
    """A tree builder that notes the line of every start tag, by element, while the parser reads the document."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[int, int] = {}
        self.parser: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = self.builder.start(tag, attrs)
        self.lines[id(element)] = self.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def _parse(data: bytes) -> tuple[Element, dict[int, int]]:
    """The document's root and the line of each element's start tag (by id), parsed with defusedxml's protections."""
    target = _LineTarget()
    parser = DefusedXMLParser(target=target)
    target.parser = parser.parser  # the expat parser, whose position is the current event's
    parser.feed(data)
    return parser.close(), target.lines


def _elements(root: Element) -> list[tuple[Element, str]]:
    """Every element with its path (local names from the root), in document order."""
    out: list[tuple[Element, str]] = []
    stack = [(root, _name(root.tag))]
    while stack:
        element, path = stack.pop()
        out.append((element, path))
        if len(element):
            stack.extend((child, f"{path}/{step}") for child, step in reversed(_child_steps(element)))
    return out


def _report_date(root: Element) -> dt.date | None:
    for element in root.iter():
        for name, value in element.attrib.items():
            if _local(name) in DATE_NAMES and (found := parse_date(value)):
                return found
        if _local(element.tag) in DATE_NAMES and len(element) == 0 and (found := parse_date(element.text)):
            return found
    return None


def parse_geneva(data: bytes, file_name: str) -> tuple[pd.DataFrame, dt.date | None]:
    """Positions in canonical columns (with `row_index`, 1-based in document order) and the report date."""
    where = f"geneva/{file_name}"
    try:
        root, lines = _parse(data)
    except (ParseError, DefusedXmlException) as error:
        raise InputError("GENEVA_INVALID_XML", f"not a safe, well-formed XML document: {error}", where) from error
    rows: list[dict[str, Any]] = []
    for element, path in _elements(root):
        raw, sources = _fields(element, path, lines)
        mapped: dict[str, Any] = {}
        cells: dict[str, dict[str, Any]] = {}
        for name, value in raw.items():
            canonical = _LOOKUP.get(name)
            if canonical is not None and canonical not in mapped:
                mapped[canonical] = value
                cells[canonical] = {**sources[name], "transform": TRANSFORMS.get(canonical, "text")}
        if any(name in mapped for name in IDENTIFIER_TAGS) and "par_amount" in mapped:
            for name in ("loanx_id", "figi", "asset_id"):  # trimmed and upper case, as the CLO mapping has them
                if name in mapped:
                    text = str(mapped[name]).strip().upper()
                    mapped[name] = ("".join(text.split()) if name != "asset_id" else text) or None
            for name in NUMERIC:
                mapped[name] = parse_number(mapped.get(name))
            if "maturity_date" in mapped:
                mapped["maturity_date"] = parse_date(mapped["maturity_date"])
            mapped["row_index"] = len(rows) + 1
            mapped["raw_data"] = raw
            mapped["source_cells"] = orjson.Fragment(orjson.dumps(cells))
            rows.append(mapped)
    if not rows:
        raise InputError(
            "NO_HOLDINGS_SHEET",
            "no position elements (an identifier plus a par/quantity) were found in the XML",
            where,
        )
    columns = ["row_index", *ALIASES, "raw_data", "source_cells"]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    frame["sheet"] = "geneva"
    return frame, _report_date(root)

"""Parse a Geneva (Advent) XML portfolio export into canonical holding columns, safely (defusedxml).

Geneva exports differ by report template, so the parser does not insist on one schema: every element whose
leaf children or attributes name an identifier (CUSIP or ISIN) and a par/quantity is a position; names are
matched case-insensitively against an alias table. The report date comes from an `AsOfDate`/`PeriodEndDate`
/`ReportDate`-like element or attribute anywhere in the document.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

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


def _fields(element: Element) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in element.attrib.items():
        values.setdefault(_local(name), value)
    for child in element:
        if len(child) == 0 and child.text is not None and child.text.strip():
            values.setdefault(_local(child.tag), child.text.strip())
    return values


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
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as error:
        raise InputError("GENEVA_INVALID_XML", f"not a safe, well-formed XML document: {error}", where) from error
    rows: list[dict[str, Any]] = []
    for element in root.iter():
        raw = _fields(element)
        mapped: dict[str, Any] = {}
        for name, value in raw.items():
            canonical = _LOOKUP.get(name)
            if canonical is not None and canonical not in mapped:
                mapped[canonical] = value
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
            rows.append(mapped)
    if not rows:
        raise InputError(
            "NO_HOLDINGS_SHEET",
            "no position elements (an identifier plus a par/quantity) were found in the XML",
            where,
        )
    columns = ["row_index", *ALIASES, "raw_data"]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    frame["sheet"] = "geneva"
    return frame, _report_date(root)

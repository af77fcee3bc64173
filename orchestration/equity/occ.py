"""OCC option symbology (`AAPL240119C00150000`) and position types (LONG, SHORT, LC, LP, SC, SP)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

OPTION_MULTIPLIER = 100
STOCK_MULTIPLIER = 1
OPTION_TYPES = ("LC", "LP", "SC", "SP")
STOCK_TYPES = ("LONG", "SHORT")
POSITION_TYPES = (*STOCK_TYPES, *OPTION_TYPES)

# Root 1-6 chars (letters, digits, a dot for class shares; weeklies use roots like SPXW), YYMMDD, C/P,
# strike × 1000 in 8 digits. Spaces that pad the root to six characters (the 21-char form) are allowed.
_OCC = re.compile(r"^(?P<root>[A-Z][A-Z0-9.]{0,5}?)\s*(?P<date>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$")
_STOCK = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")


class SymbolError(ValueError):
    """A ticker that is neither a stock symbol nor an OCC option symbol."""


@dataclass(frozen=True)
class OptionSymbol:
    """A parsed OCC symbol; strike in dollars (exact)."""

    root: str
    expiry: dt.date
    option_type: str  # "C" or "P"
    strike: Decimal


@dataclass(frozen=True)
class Instrument:
    """What a positions row refers to: a stock or an option on `underlying`."""

    symbol: str
    underlying: str
    option: OptionSymbol | None

    @property
    def is_option(self) -> bool:
        return self.option is not None

    @property
    def multiplier(self) -> int:
        return OPTION_MULTIPLIER if self.option else STOCK_MULTIPLIER


def parse_occ(symbol: str) -> OptionSymbol:
    """Parse an OCC symbol; raise SymbolError naming what is wrong."""
    match = _OCC.match(symbol.strip().upper())
    if not match:
        raise SymbolError(f"{symbol!r} is not an OCC option symbol (ROOT + YYMMDD + C/P + strike×1000 in 8 digits)")
    try:
        expiry = dt.datetime.strptime(match["date"], "%y%m%d").date()
    except ValueError as error:
        raise SymbolError(f"{symbol!r} has an invalid expiry date {match['date']}") from error
    strike = Decimal(int(match["strike"])) / Decimal(1000)
    if strike <= 0:
        raise SymbolError(f"{symbol!r} has a zero strike")
    return OptionSymbol(match["root"], expiry, match["cp"], strike.normalize() if strike % 1 else strike.quantize(1))


def format_occ(option: OptionSymbol) -> str:
    """The compact OCC symbol of a parsed option (inverse of parse_occ)."""
    return f"{option.root}{option.expiry:%y%m%d}{option.option_type}{int(option.strike * 1000):08d}"


def parse_symbol(symbol: str) -> Instrument:
    """A stock ticker or an OCC option symbol; anything else raises SymbolError."""
    text = symbol.strip().upper()
    if not text:
        raise SymbolError("empty ticker")
    if any(ch.isdigit() for ch in text) and len(text) >= 15:
        option = parse_occ(text)
        return Instrument(symbol=format_occ(option), underlying=option.root, option=option)
    if _STOCK.match(text):
        return Instrument(symbol=text, underlying=text, option=None)
    raise SymbolError(f"{symbol!r} is neither a stock ticker nor an OCC option symbol")


def position_type(instrument: Instrument, quantity: float) -> str:
    """LONG/SHORT for stocks by the sign of quantity; LC/LP/SC/SP for options."""
    if instrument.option is None:
        return "LONG" if quantity > 0 else "SHORT"
    side = "L" if quantity > 0 else "S"
    return side + instrument.option.option_type

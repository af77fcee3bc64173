"""OCC symbology, positions CSV parsing and the positions-history rule."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from orchestration.core.errors import InputError
from orchestration.equity import occ, positions, tags


@pytest.mark.parametrize(
    ("symbol", "root", "expiry", "cp", "strike"),
    [
        ("AAPL240119C00150000", "AAPL", dt.date(2024, 1, 19), "C", Decimal("150")),
        ("MSFT250620P00412500", "MSFT", dt.date(2025, 6, 20), "P", Decimal("412.5")),
        ("SPXW240105C04712500", "SPXW", dt.date(2024, 1, 5), "C", Decimal("4712.5")),  # a weekly (Friday) root
        ("F240119C00012340", "F", dt.date(2024, 1, 19), "C", Decimal("12.34")),
        ("SPY   240119P00470000", "SPY", dt.date(2024, 1, 19), "P", Decimal("470")),  # padded 21-char form
    ],
)
def test_valid_occ_symbols(symbol, root, expiry, cp, strike):
    parsed = occ.parse_occ(symbol)
    assert (parsed.root, parsed.expiry, parsed.option_type, parsed.strike) == (root, expiry, cp, strike)
    instrument = occ.parse_symbol(symbol)
    assert instrument.is_option
    assert instrument.multiplier == 100
    assert instrument.underlying == root


@pytest.mark.parametrize(
    "symbol", ["AAPL241319C00150000", "AAPL240119X00150000", "AAPL240119C0015000", "AAPL240119C00000000", "12345"]
)
def test_invalid_symbols_raise(symbol):
    with pytest.raises(occ.SymbolError):
        occ.parse_symbol(symbol)


def test_position_types():
    stock = occ.parse_symbol("AAPL")
    call = occ.parse_symbol("AAPL240119C00150000")
    put = occ.parse_symbol("AAPL240119P00150000")
    assert (occ.position_type(stock, 10), occ.position_type(stock, -1)) == ("LONG", "SHORT")
    assert [occ.position_type(call, 1), occ.position_type(call, -1)] == ["LC", "SC"]
    assert [occ.position_type(put, 1), occ.position_type(put, -1)] == ["LP", "SP"]
    assert stock.multiplier == 1


SEED_SAMPLE = (
    "csvticker,quantity,entry_price,entry_date,tags\n"
    'AAPL,1000,150.00,2024-01-15,"momentum,tech"\n'
    'MSFT,-500,380.00,2024-01-20,"hedge,tech"\n'
    'AAPL240119C00150000,10,5.50,2024-01-10,"hedge,options"\n'
)


def test_parses_the_seed_sample_with_csvticker_header():
    frame = positions.parse_positions(
        SEED_SAMPLE.encode(), tenant_id="t", portfolio_id="p", file_name="f.csv", renames={"tech": "technology"}
    )
    assert frame["ticker"].tolist() == ["AAPL", "MSFT", "AAPL240119C00150000"]
    assert frame["position_type"].tolist() == ["LONG", "SHORT", "LC"]
    assert frame["multiplier"].tolist() == [1, 1, 100]
    assert frame["quantity"].tolist() == [Decimal(1000), Decimal(-500), Decimal(10)]
    assert frame["tags"].tolist() == [["momentum", "technology"], ["hedge", "technology"], ["hedge", "options"]]
    assert frame.loc[2, "strike"] == Decimal(150)
    assert frame.loc[2, "expiry"] == dt.date(2024, 1, 19)
    assert frame["position_id"].is_unique


def test_invalid_symbol_names_the_row():
    bad = "ticker,quantity,entry_price,entry_date,tags\nAAPL,1,1,2024-01-02,\nAAPL241319C00150000,1,1,2024-01-02,\n"
    with pytest.raises(InputError) as info:
        positions.parse_positions(bad.encode(), tenant_id="t", portfolio_id="p", file_name="book.csv")
    assert info.value.code == "INVALID_SYMBOL"
    assert info.value.where == "book.csv row 3"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("ticker,quantity\nAAPL,1\n", "VALIDATION_ERROR"),
        ("ticker,quantity,entry_price,entry_date\nAAPL,x,1,2024-01-02\n", "VALIDATION_ERROR"),
        ("ticker,quantity,entry_price,entry_date\nAAPL,0,1,2024-01-02\n", "VALIDATION_ERROR"),
        ("ticker,quantity,entry_price,entry_date\nAAPL,1,1,02/01/2024\n", "VALIDATION_ERROR"),
    ],
)
def test_bad_rows_are_validation_errors(body, code):
    with pytest.raises(InputError) as info:
        positions.parse_positions(body.encode(), tenant_id="t", portfolio_id="p", file_name="b.csv")
    assert info.value.code == code


def test_positions_on_uses_the_governing_file():
    def rows(key, effective, landed, tickers):
        return [
            {
                "tenant_id": "t",
                "portfolio_id": "p",
                "partition_key": key,
                "effective_from": effective,
                "landed_at": landed,
                "entry_date": dt.date(2024, 1, 2),
                "ticker": ticker,
            }
            for ticker in tickers
        ]

    frame = pd.DataFrame(
        rows("f1", dt.date(2024, 3, 1), 1, ["AAPL", "MSFT"]) + rows("f2", dt.date(2024, 4, 1), 2, ["NVDA"])
    )
    assert positions.positions_on(frame, dt.date(2024, 2, 1))["ticker"].tolist() == ["AAPL", "MSFT"]  # backfill
    assert positions.positions_on(frame, dt.date(2024, 3, 29))["ticker"].tolist() == ["AAPL", "MSFT"]
    assert positions.positions_on(frame, dt.date(2024, 4, 1))["ticker"].tolist() == ["NVDA"]
    assert positions.positions_on(frame, dt.date(2024, 1, 1)).empty  # entered after that day


def test_tag_filters():
    assert tags.matches(["a", "b"], ["b", "c"], "any")
    assert not tags.matches(["a", "b"], ["b", "c"], "all")
    assert tags.matches(["a", "b"], ["a", "b"], "all")
    assert positions.portfolio_id_for("t", "My Book.csv", None) == "my-book"
    assert positions.portfolio_id_for("t", "f.csv", {"portfolio_id": "P1"}) == "P1"

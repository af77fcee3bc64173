"""Check digits and cell normalisation against hand-worked values."""

import datetime as dt

import pytest

from orchestration.clo.check_digits import cusip_check_digit, cusip_to_isin, is_valid_cusip, is_valid_isin
from orchestration.clo.normalize import (
    normalize_header,
    to_bool,
    to_country,
    to_date,
    to_identifier,
    to_integer,
    to_number,
)
from orchestration.core.ratings import normalize_rating


def test_cusip_check_digit_by_hand():
    # Apple 037833100: base 0 3 7 8 3 3 1 0; even positions doubled: 3→6, 8→16, 3→6, 0→0
    # digit sums: 0 + 6 + 7 + (1+6) + 3 + 6 + 1 + 0 = 30 → (10 - 0) % 10 = 0
    assert cusip_check_digit("03783310") == 0
    assert is_valid_cusip("037833100")
    # 38259P508: 3, 8→16, 2, 5→10, 9, P=25→50, 5, 0→0: 3 + 7 + 2 + 1 + 9 + 5 + 5 + 0 = 32 → 8
    assert cusip_check_digit("38259P50") == 8
    assert is_valid_cusip("38259p508")
    assert not is_valid_cusip("037833101")
    assert not is_valid_cusip("12345678")
    assert not is_valid_cusip(None)


def test_isin_luhn_by_hand():
    # US0378331005: payload "US037833100", letters U=30 S=28 → digits 3028037833100.
    # Reversed: 0 0 1 3 3 8 7 3 0 8 2 0 3; double every other from the rightmost (index 0, 2, …):
    # 0 0 2 3 6 8 (14→5) 3 0 8 4 0 6 → sum 45 → check digit (10 - 5) % 10 = 5.
    assert cusip_to_isin("037833100") == "US0378331005"
    assert is_valid_isin("US0378331005")
    assert is_valid_isin("GB0002634946")
    assert not is_valid_isin("US0378331006")
    assert not is_valid_isin("US037833100")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", 1234.5),
        ("(1,234.50)", -1234.5),
        ("$5,000,000", 5_000_000.0),
        ("12.5%", 12.5),
        ("425 bps", 425.0),
        ("1,000-", -1000.0),
        ("€ 2.000", 2.0),
        ("N/A", None),
        ("", None),
        ("abc", None),
        (3, 3.0),
        (2.5, 2.5),
        (True, None),
    ],
)
def test_numbers(raw, expected):
    assert to_number(raw) == expected


def test_integer_rounds_half_away_from_zero():
    assert to_integer("424.5") == 425.0
    assert to_integer(-2.5) == -3.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (45658, dt.date(2025, 1, 1)),  # 44927 is 2023-01-01; + 365 (2023) + 366 (2024) = 45658
        ("2026-01-25", dt.date(2026, 1, 25)),
        ("01/25/2026", dt.date(2026, 1, 25)),
        ("25/01/2026", dt.date(2026, 1, 25)),
        ("15-Jun-2029", dt.date(2029, 6, 15)),
        ("20290615", dt.date(2029, 6, 15)),
        (dt.datetime(2029, 6, 15, 0, 0), dt.date(2029, 6, 15)),
        ("not a date", None),
    ],
)
def test_dates(raw, expected):
    assert to_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "agency", "expected"),
    [
        ("Baa3", "moodys", "Baa3"),
        ("BAA3", "moodys", "Baa3"),
        ("caa1", "moodys", "Caa1"),
        ("B", "moodys", None),
        ("bb-", "sp", "BB-"),
        ("BB- *-", "sp", "BB-"),
        ("B (sf)", "sp", "B"),
        ("NR", "sp", None),
        ("WR", "moodys", None),
        ("n/a", "fitch", None),
        ("", "fitch", None),
        ("RD", "fitch", "RD"),
        ("SD", "sp", "SD"),
        ("RD", "sp", None),
    ],
)
def test_ratings(raw, agency, expected):
    assert normalize_rating(raw, agency) == expected


def test_booleans_countries_identifiers_headers():
    assert [to_bool(v) for v in ("Y", "no", "TRUE", 0, "Defaulted", "", "maybe")] == [
        True,
        False,
        True,
        False,
        True,
        None,
        None,
    ]
    assert [to_country(v) for v in ("United Kingdom", "USA", "lux", "Narnia", None)] == [
        "GB",
        "US",
        "LU",
        "Narnia",
        None,
    ]
    assert to_identifier(361105.0, 9) == "000361105"
    assert normalize_header("Moody's Rating") == "moodys rating"
    assert normalize_header(" S&P  Rating ") == "s and p rating"
    assert normalize_header("Spread (bps)") == "spread bps"

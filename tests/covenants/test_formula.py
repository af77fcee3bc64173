"""The formula parser and exact evaluator: precedence, parentheses, unary minus, rounding, rejections."""

import numpy as np
import pytest

from orchestration.covenants.formula import (
    FormulaError,
    evaluate,
    evaluate_scaled,
    parse_formula,
    round_half_away_from_zero,
    scaled_values,
)


def test_the_seed_example_is_333():
    # 1,000,000,000 / 300,000,000 = 3.3333…; ×100 = 333.33… → 333 (seed 001's POST /evaluate answer).
    assert evaluate_scaled("total_debt / ebitda", {"total_debt": 1_000_000_000, "ebitda": 300_000_000}) == 333


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # 2 + 3 × 4 = 14 (× before +), ×100 = 1400
        ("a + b * c", 1400),
        # (2 + 3) × 4 = 20 → 2000
        ("(a + b) * c", 2000),
        # 2 − 3 − 4 = −5 (left to right) → −500
        ("a - b - c", -500),
        # 2 / 4 / 3 = 1/6 = 0.1666… → 16.67 → 17
        ("a / c / b", 17),
        # −2 × 3 = −6 → −600; unary minus binds tighter than ×
        ("-a * b", -600),
        # −(2 + 3) = −5 → −500
        ("-(a + b)", -500),
        # 2 − −3 = 5 → 500
        ("a - -b", 500),
        # literals are exact decimals: 0.1 × 3 = 0.3 → 30 (a double would give 30.000000000000004)
        ("0.1 * b", 30),
        # 1.5 × 2 = 3 → 300
        ("1.5 * a", 300),
    ],
)
def test_precedence_parentheses_and_unary_minus(formula, expected):
    assert evaluate_scaled(formula, {"a": 2, "b": 3, "c": 4}) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 2, 3),  # 2.5 → 3
        (-5, 2, -3),  # −2.5 → −3 (away from zero, not banker's −2)
        (7, 2, 4),  # 3.5 → 4
        (3, 2, 2),  # 1.5 → 2
        (1, 3, 0),  # 0.333 → 0
        (2, 3, 1),  # 0.667 → 1
        (-2, 3, -1),
        (5, -2, -3),  # sign in the denominator
        (0, 7, 0),
    ],
)
def test_rounding_is_half_away_from_zero(numerator, denominator, expected):
    assert round_half_away_from_zero(numerator, denominator) == expected
    vector = scaled_values(np.array([numerator], dtype=object), np.array([denominator], dtype=object), scale=1)
    assert int(vector[0]) == expected


def test_scaled_rounding_at_the_half_cent():
    # 1 / 8 = 0.125 → ×100 = 12.5 → 13; −1 / 8 → −13; 1 / 400 = 0.0025 → 0.25 → 0
    assert evaluate_scaled("a / b", {"a": 1, "b": 8}) == 13
    assert evaluate_scaled("-a / b", {"a": 1, "b": 8}) == -13
    assert evaluate_scaled("a / b", {"a": 1, "b": 400}) == 0


def test_large_scaled_integers_stay_exact():
    # 9,007,199,254,740,993 (2^53 + 1) is not representable as a double; / 1 × 100 must keep the 3.
    assert evaluate_scaled("a / b", {"a": 2**53 + 1, "b": 1}) == (2**53 + 1) * 100


def test_unknown_names_and_division_by_zero_are_reported_per_row():
    formula = parse_formula("total_debt / ebitda")
    assert formula.metrics == ("ebitda", "total_debt")
    values = {"total_debt": np.array([100, 100, 100], dtype=object), "ebitda": np.array([50, 0, 0], dtype=object)}
    present = {"total_debt": np.array([True, True, True]), "ebitda": np.array([True, True, False])}
    result = evaluate(formula, values, present, 3)
    assert result.missing == [(), (), ("ebitda",)]
    assert result.errors[0] is None
    assert result.errors[1] == "division by zero: ebitda evaluates to 0"
    assert int(scaled_values(result.numerator[:1], result.denominator[:1])[0]) == 200  # 100 / 50 = 2 → 200
    with pytest.raises(KeyError, match="ebitda"):
        evaluate_scaled("total_debt / ebitda", {"total_debt": 1})
    with pytest.raises(ZeroDivisionError, match="division by zero: a - b evaluates to 0"):
        evaluate_scaled("c / (a - b)", {"a": 2, "b": 2, "c": 1})


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("ebitda.real", "attribute access"),
        ("__import__('os').system('true')", "calls"),
        ("abs(ebitda)", "calls"),
        ("ebitda ** 2", "Pow"),
        ("ebitda // 2", "FloorDiv"),
        ("ebitda % 2", "Mod"),
        ("ebitda < 2", "Compare"),
        ("ebitda[0]", "subscripts"),
        ("+ebitda", "unary UAdd"),
        ("not ebitda", "unary Not"),
        ("'text'", "not a number"),
        ("True", "not a number"),
        ("[ebitda]", "List"),
        ("lambda: 1", "Lambda"),
        ("x if y else z", "IfExp"),
        ("a; b", "not valid arithmetic"),
        ("a = 1", "not valid arithmetic"),
        ("", "empty"),
    ],
)
def test_anything_but_arithmetic_is_rejected(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_canonical_form_groups_spelling_variants():
    assert parse_formula("total_debt/ebitda").canonical == parse_formula(" total_debt  /  ebitda ").canonical

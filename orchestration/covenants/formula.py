"""Covenant formulas: parsed into a whitelisted AST, never `eval`ed, and evaluated exactly (issue 7, Evaluation).

A formula is arithmetic over metric names: numbers, names, `+ - * /`, parentheses and unary minus.
Evaluation is exact rational arithmetic over the measurements' scaled integers (Python ints held in
numpy object arrays, so one formula evaluates over many rows at once), and the result is scaled by 100
and rounded half away from zero (seed 001's scaled-integer convention).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

MAX_FORMULA_LENGTH = 1000
MAX_DEPTH = 50
RESULT_SCALE = 100
"""Ratios are stored ×100: 4.5x leverage is 450 (seed 001, Scaled Integer Convention)."""

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class FormulaError(ValueError):
    """The formula is not plain arithmetic over metric names."""


@dataclass(frozen=True)
class Formula:
    """A validated formula: its canonical text, the metric names it reads and its checked AST."""

    text: str
    canonical: str
    metrics: tuple[str, ...]
    tree: ast.expr


def _check(node: ast.AST, source: str, depth: int, names: set[str]) -> None:
    """Walk the tree and reject anything that is not a number, a name, + - * /, or unary minus."""
    if depth > MAX_DEPTH:
        raise FormulaError(f"formula nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            raise FormulaError(f"operator {type(node.op).__name__} is not allowed; only + - * /")
        _check(node.left, source, depth + 1, names)
        _check(node.right, source, depth + 1, names)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            raise FormulaError(f"unary {type(node.op).__name__} is not allowed; only unary minus")
        _check(node.operand, source, depth + 1, names)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"literal {node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Call):
        raise FormulaError("function calls are not allowed")
    elif isinstance(node, ast.Attribute):
        raise FormulaError("attribute access is not allowed")
    elif isinstance(node, ast.Subscript):
        raise FormulaError("subscripts are not allowed")
    else:
        raise FormulaError(f"{type(node).__name__} is not allowed in a formula")


def parse_formula(text: str) -> Formula:
    """Parse and validate a formula (`ast.parse(mode="eval")` then a whitelist walk); raise FormulaError."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("formula is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"formula is longer than {MAX_FORMULA_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"formula is not valid arithmetic: {error.msg}") from None
    names: set[str] = set()
    _check(tree.body, text, 0, names)
    return Formula(text=text, canonical=ast.unparse(tree.body), metrics=tuple(sorted(names)), tree=tree.body)


def _literal(node: ast.Constant) -> Fraction:
    """A numeric literal as an exact fraction (0.1 is 1/10, not the nearest double)."""
    value = node.value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(value))


@dataclass
class FormulaResult:
    """Per row: the exact value as numerator/denominator, which needed metrics are absent, and errors."""

    numerator: np.ndarray
    denominator: np.ndarray
    absent: dict[str, np.ndarray]
    errors: np.ndarray

    @property
    def any_missing(self) -> np.ndarray:
        rows = len(self.numerator)
        return np.logical_or.reduce([*self.absent.values(), np.zeros(rows, dtype=bool)])

    @property
    def missing(self) -> list[tuple[str, ...]]:
        """Per row, the absent metric names (sorted)."""
        return [tuple(name for name, mask in self.absent.items() if mask[i]) for i in range(len(self.numerator))]

    def missing_reasons(self, rows: np.ndarray) -> list[str]:
        """MISSING_DATA reasons for the given row positions."""
        return [
            "missing metric(s) for the period: " + ", ".join(n for n, mask in self.absent.items() if mask[i])
            for i in rows
        ]


def evaluate(
    formula: Formula, values: Mapping[str, np.ndarray], present: Mapping[str, np.ndarray], rows: int
) -> FormulaResult:
    """Evaluate over `rows` rows: `values[name]` holds Python ints (object array), `present[name]` booleans.

    Rows missing a metric report its name (MISSING_DATA); rows dividing by zero report the divisor.
    """
    ones = np.ones(rows, dtype=object)
    errors = np.full(rows, None, dtype=object)
    absent = {
        name: (np.ones(rows, dtype=bool) if present.get(name) is None else ~present[name]) for name in formula.metrics
    }

    def walk(node: ast.expr) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(node, ast.Constant):
            fraction = _literal(node)
            return ones * fraction.numerator, ones * fraction.denominator
        if isinstance(node, ast.Name):
            column = values.get(node.id)
            return (ones * 0 if column is None else column), ones
        if isinstance(node, ast.UnaryOp):
            num, den = walk(node.operand)
            return -num, den
        assert isinstance(node, ast.BinOp)
        ln, ld = walk(node.left)
        rn, rd = walk(node.right)
        if isinstance(node.op, ast.Add):
            return ln * rd + rn * ld, ld * rd
        if isinstance(node.op, ast.Sub):
            return ln * rd - rn * ld, ld * rd
        if isinstance(node.op, ast.Mult):
            return ln * rn, ld * rd
        zero = (rn == 0).astype(bool)
        if zero.any():
            first = zero & np.array([e is None for e in errors], dtype=bool)
            errors[first] = f"division by zero: {ast.unparse(node.right)} evaluates to 0"
            rn = np.where(zero, 1, rn)
        return ln * rd, ld * rn

    numerator, denominator = walk(formula.tree)
    return FormulaResult(numerator, denominator, absent, errors)


def round_half_away_from_zero(numerator: int, denominator: int) -> int:
    """numerator/denominator rounded to an integer, halves away from zero (2.5 → 3, −2.5 → −3)."""
    if denominator == 0:
        raise ZeroDivisionError("denominator is 0")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def scaled_values(numerator: np.ndarray, denominator: np.ndarray, scale: int = RESULT_SCALE) -> np.ndarray:
    """Value × scale rounded half away from zero, per row (object array of Python ints)."""
    num = numerator * scale
    negative_den = denominator < 0
    num = np.where(negative_den, -num, num)
    den = np.where(negative_den, -denominator, denominator)
    magnitude = np.abs(num)
    quotient = magnitude // den
    remainder = magnitude - quotient * den
    quotient = np.where(2 * remainder >= den, quotient + 1, quotient)
    return np.where(num < 0, -quotient, quotient)


def evaluate_scaled(formula: Formula | str, metrics: Mapping[str, int]) -> int:
    """One evaluation: the formula over these metric values, ×100 and rounded; raises on missing or /0."""
    parsed = parse_formula(formula) if isinstance(formula, str) else formula
    values = {k: np.array([int(v)], dtype=object) for k, v in metrics.items()}
    present = {k: np.array([True]) for k in metrics}
    result = evaluate(parsed, values, present, 1)
    if result.missing[0]:
        raise KeyError(", ".join(result.missing[0]))
    if result.errors[0] is not None:
        raise ZeroDivisionError(result.errors[0])
    return int(scaled_values(result.numerator, result.denominator)[0])

"""Evaluate Excel formulas that have no cached value, with the `formulas` library's parser and functions.

Files written by tools that do not calculate (openpyxl, many exporters) store formulas without results.
Each such formula is compiled on its own by `formulas` and fed the cell values it references (evaluating
referenced formula cells first, with cycle detection), which is far cheaper than building a model of the
whole workbook. Anything the library cannot evaluate becomes a recorded failure, never a crash.
"""

import datetime as dt
import importlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import numpy as np

Grid = list[list[Any]]


@lru_cache(maxsize=1)
def _library() -> tuple[Any, Any, list[str]]:
    """`formulas`, schedula's EMPTY marker and the function modules, imported on first use (slow import)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import formulas
        import schedula
        from formulas.functions import SUBMODULES
    return formulas, schedula.EMPTY, list(SUBMODULES)


class FormulaError(Exception):
    """A formula that could not be evaluated (parse error, unsupported function, Excel error, cycle)."""


@dataclass
class FormulaEvaluator:
    """Evaluates formula cells of a workbook lazily; `grids` are the sheets' values, `formulas_by_cell` the text."""

    grids: dict[str, Grid]
    formulas_by_cell: dict[tuple[str, int, int], str]
    cached: set[tuple[str, int, int]] = field(default_factory=set)
    _values: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    _active: set[tuple[str, int, int]] = field(default_factory=set)
    _compiled: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._sheet_names = {name.upper(): name for name in self.grids}

    def _sheet(self, name: str | None, default: str) -> str:
        if name is None:
            return default
        clean = name.strip("'").upper()
        if clean not in self._sheet_names:
            raise FormulaError(f"reference to unknown sheet {name!r}")
        return self._sheet_names[clean]

    def _raw(self, sheet: str, row: int, col: int) -> Any:
        key = (sheet, row, col)
        if key in self.formulas_by_cell and key not in self.cached:
            return self.value(sheet, row, col)
        grid = self.grids[sheet]
        if row < len(grid) and col < len(grid[row]):
            value = grid[row][col]
            if value is None or value == "":
                return _library()[1]
            return _to_excel(value)
        return _library()[1]

    def _input(self, ref: str, default_sheet: str) -> Any:
        from openpyxl.utils.cell import coordinate_from_string, range_boundaries

        sheet_part, _, cells = ref.rpartition("!")
        sheet = self._sheet(sheet_part or None, default_sheet)
        if ":" not in cells:
            col_letters, row_number = coordinate_from_string(cells.replace("$", ""))
            min_col, min_row, _, _ = range_boundaries(f"{col_letters}{row_number}")
            return self._raw(sheet, row_number - 1, min_col - 1)
        min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
        grid = self.grids[sheet]
        width = max((len(r) for r in grid), default=0)
        min_row = min_row or 1
        min_col = min_col or 1
        max_row = min(max_row or len(grid), max(len(grid), min_row))
        max_col = min(max_col or width, max(width, min_col))
        return np.array(
            [
                [self._raw(sheet, r - 1, c - 1) for c in range(min_col, max_col + 1)]
                for r in range(min_row, max_row + 1)
            ],
            dtype=object,
        )

    def _compile(self, formula: str) -> Callable[..., Any]:
        if formula not in self._compiled:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._compiled[formula] = _library()[0].Parser().ast(formula)[1].compile()
            except Exception as exc:
                raise FormulaError(f"cannot parse: {exc}") from exc
        return self._compiled[formula]

    def value(self, sheet: str, row: int, col: int) -> Any:
        """The value of a formula cell (0-based row/col), evaluating what it references first."""
        key = (sheet, row, col)
        if key in self._values:
            return self._values[key]
        if key in self._active:
            raise FormulaError("circular reference")
        self._active.add(key)
        try:
            formula = self.formulas_by_cell[key]
            function = self._compile(formula)
            args = [self._input(ref, sheet) for ref in cast(Any, function).inputs]
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    result = function(*args)
                except FormulaError:
                    raise
                except Exception as exc:
                    raise FormulaError(f"{type(exc).__name__}: {exc}") from exc
            value = _from_excel(result)
        finally:
            self._active.discard(key)
        self._values[key] = value
        return value


def _to_excel(value: Any) -> Any:
    """A cell value as `formulas` expects it (dates as serial numbers, booleans kept)."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    if isinstance(value, dt.date):
        return (value - dt.date(1899, 12, 30)).days
    return value


def _from_excel(result: Any) -> Any:
    """The scalar a formula returned; Excel errors (#DIV/0!, #NAME?) raise FormulaError."""
    while isinstance(result, np.ndarray):
        if result.size == 0:
            return None
        result = result.ravel()[0]
    if result is _library()[1]:
        return None
    text = str(result)
    if text.startswith("#") and (text.endswith("!") or text.endswith("?") or text == "#N/A"):
        raise FormulaError(f"formula returned {text}")
    if isinstance(result, np.bool_ | bool):
        return bool(result)
    if isinstance(result, np.integer):
        return float(result)
    if isinstance(result, np.floating | float):
        number = float(result)
        if math.isnan(number) or math.isinf(number):
            raise FormulaError("formula returned a non-finite number")
        return number
    if isinstance(result, int):
        return float(result)
    return result if isinstance(result, str) else text


@lru_cache(maxsize=1)
def supported_functions() -> dict[str, dict[str, str]]:
    """Every Excel function the `formulas` library implements: name → category (its module) and description."""
    catalogue: dict[str, dict[str, str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module_name in _library()[2]:
            module = importlib.import_module(module_name, "formulas.functions")
            category = module_name.lstrip(".")
            for name, function in getattr(module, "FUNCTIONS", {}).items():
                if name.startswith("_XLFN.") or name.startswith("_XLWS."):
                    continue
                doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
                catalogue.setdefault(
                    name,
                    {"name": name, "category": category, "description": doc[0] if doc else "", "module": module_name},
                )
    return dict(sorted(catalogue.items()))

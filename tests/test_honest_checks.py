"""A guard over the whole suite: no check that cannot fail, no failure turned into a skip.

Every Python file under tests/ is parsed (ast, so strings and comments never count) and refused when it holds:
- `assert True` (or any other constant that is always true, e.g. `assert 1`, `assert "x"`);
- `assert isinstance(<call>(...), ...)`: the type of an object built on the spot says nothing about the code;
- `pytest.skip(...)` (or a bare `skip(...)` imported from pytest) inside an `except` handler, or under an
  `if` that tests a run's `.success`: either turns a failure of the code under test into a skip;
- `pytest.importorskip(...)` of this project's own packages, which exist: a failed import must fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
OWN_PACKAGES = ("orchestration", "api", "tests", "bench")


def _is_pytest_call(node: ast.AST, name: str, skip_aliases: set[str]) -> bool:
    """`pytest.<name>(...)`, or a bare call of a name imported as `from pytest import <name>`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == name:
        return isinstance(func.value, ast.Name) and func.value.id == "pytest"
    return isinstance(func, ast.Name) and func.id in skip_aliases


def _aliases(tree: ast.AST, name: str) -> set[str]:
    """Local names bound by `from pytest import <name> [as alias]`."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "pytest"
        for alias in node.names
        if alias.name == name
    }


def offences(source: str, filename: str = "<source>") -> list[str]:
    """Every check in `source` that cannot fail or hides a failure, as `file:line: why`."""
    tree = ast.parse(source, filename=filename)
    skips, importorskips = _aliases(tree, "skip"), _aliases(tree, "importorskip")
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            test = node.test
            if isinstance(test, ast.Constant) and test.value:
                found.append((node.lineno, f"`assert {test.value!r}` can never fail"))
            if (
                isinstance(test, ast.Call)
                and isinstance(test.func, ast.Name)
                and test.func.id == "isinstance"
                and test.args
                and isinstance(test.args[0], ast.Call)
            ):
                found.append((node.lineno, "`assert isinstance(...)` of an object built on the spot"))
        if isinstance(node, ast.ExceptHandler):
            for inner in ast.walk(node):
                if _is_pytest_call(inner, "skip", skips):
                    found.append((inner.lineno, "`pytest.skip` inside `except` hides a failure"))
        if isinstance(node, ast.If) and any(
            isinstance(part, ast.Attribute) and part.attr == "success" for part in ast.walk(node.test)
        ):
            for inner in (n for statement in node.body + node.orelse for n in ast.walk(statement)):
                if _is_pytest_call(inner, "skip", skips):
                    found.append((inner.lineno, "`pytest.skip` on a failed run hides a failure"))
        if _is_pytest_call(node, "importorskip", importorskips):
            assert isinstance(node, ast.Call)
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and str(first.value).split(".")[0] in OWN_PACKAGES:
                found.append((node.lineno, f"`importorskip` of this project's own {first.value!r}"))
    return [f"{filename}:{line}: {why}" for line, why in sorted(set(found))]


def test_no_test_module_holds_a_check_that_cannot_fail():
    modules = sorted(TESTS.rglob("*.py"))
    assert len(modules) > 50  # the whole suite was read, not an empty folder
    found = [o for path in modules for o in offences(path.read_text(), str(path.relative_to(TESTS.parent)))]
    assert found == []


OFFENDING = """
import pytest
from pytest import skip as leave
import pandas as pd


def test_a():
    assert True


def test_b():
    assert isinstance(pd.DataFrame({"a": [1]}), pd.DataFrame)


def test_c():
    try:
        run()
    except RuntimeError:
        pytest.skip("did not run")


def test_d():
    try:
        run()
    except Exception:
        if flaky():
            leave("flaky")


def test_e():
    assets = pytest.importorskip("orchestration.compliance.assets")
    assert 1, "always"


def test_f():
    run = materialize()
    if not run.success:
        pytest.skip("the assets did not materialize")
"""


def test_the_guard_finds_every_kind_of_offence():
    found = offences(OFFENDING, "t.py")
    assert found == [
        "t.py:8: `assert True` can never fail",
        "t.py:12: `assert isinstance(...)` of an object built on the spot",
        "t.py:19: `pytest.skip` inside `except` hides a failure",
        "t.py:27: `pytest.skip` inside `except` hides a failure",
        "t.py:31: `importorskip` of this project's own 'orchestration.compliance.assets'",
        "t.py:32: `assert 1` can never fail",
        "t.py:38: `pytest.skip` on a failed run hides a failure",
    ]


@pytest.mark.parametrize(
    "honest",
    [
        "assert isinstance(result.value, float)",  # a value the code under test produced
        "assert isinstance(outcome, Rejected)",
        "assert result is True",
        "assert False, 'unreachable'",
        "try:\n    run()\nexcept KeyError:\n    pytest.fail('missing')",
        "if not available():\n    pytest.skip('needs the data set')",  # a skip decided before the code runs
        "np = pytest.importorskip('numpy')",  # a third-party, optional package
        "text = 'assert True'",  # strings and comments are not code
    ],
)
def test_the_guard_leaves_honest_checks_alone(honest: str):
    assert offences(honest) == []

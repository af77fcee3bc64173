"""Parsers that cannot explode: bounded YAML and JSON, and every landed-file parser that uses them.

The criterion is always the typed refusal (an InputError with the caller's code, or FILE_TOO_LARGE), never a
timing: a bomb that is refused has not been expanded.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.compliance.assets import _parse_scenario_file
from orchestration.core.config import ConfigError, read_yaml
from orchestration.core.errors import InputError
from orchestration.core.safe_parse import MAX_JSON_BYTES, MAX_YAML_BYTES, load_json, load_yaml
from orchestration.covenants.inputs import parse_inputs
from orchestration.performance.inputs import parse_performance
from orchestration.performance.pnl import parse_pnl_facts
from orchestration.reconciliation.resolutions import parse_resolutions


def _alias_bomb() -> str:
    """Billion laughs in YAML, 9 levels: 9 strings, then 8 lists of 9 aliases; 9**9 = 387,420,489 strings expanded."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        refs = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return "\n".join(lines) + "\n"


BOMB = _alias_bomb()
DEEP_JSON = "[" * 100_000 + "]" * 100_000  # deeper than the interpreter's recursion limit


def test_the_bomb_is_the_reported_size():
    assert 550 <= len(BOMB.encode()) <= 700


def test_the_alias_bomb_is_refused_by_read_yaml(tmp_path: Path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(ConfigError) as info:
        read_yaml(path, code="SOME_CONFIG_INVALID")
    assert info.value.code == "SOME_CONFIG_INVALID"
    assert info.value.where == str(path)
    assert "alias" in info.value.message


def test_the_alias_bomb_is_refused_by_the_scenario_parser():
    with pytest.raises(InputError) as info:
        _parse_scenario_file(BOMB.encode(), "bomb.yaml")
    assert (info.value.code, info.value.where) == ("SCENARIO_INVALID_FORMAT", "bomb.yaml")
    assert "alias" in info.value.message


def test_the_expansion_bound_holds_even_when_aliases_are_allowed():
    # The same bomb with the alias count lifted: the expanded node count refuses it.
    with pytest.raises(InputError, match="expands to more than 1000000 nodes"):
        load_yaml(BOMB, code="X", where="w", max_aliases=10_000)


def test_a_few_aliases_and_merge_keys_still_work():
    text = "defaults: &d {tolerance: 0.5, unit: bp}\nstrict:\n  <<: *d\n  tolerance: 0.1\nloose: *d\n"
    assert load_yaml(text, code="X", where="w") == {
        "defaults": {"tolerance": 0.5, "unit": "bp"},
        "strict": {"tolerance": 0.1, "unit": "bp"},
        "loose": {"tolerance": 0.5, "unit": "bp"},
    }


def test_a_recursive_alias_is_refused():
    with pytest.raises(InputError, match="recursive"):
        load_yaml("a: &a [1, *a]\n", code="X", where="w")


@pytest.mark.parametrize(
    ("depth", "refused"),
    [(64, False), (65, True)],
)
def test_yaml_and_json_nesting_is_bounded(depth: int, refused: bool):
    text = "[" * depth + "]" * depth
    for load in (load_yaml, load_json):
        if refused:
            with pytest.raises(InputError, match="nested deeper than 64 levels"):
                load(text, code="X", where="w")
        else:
            value = load(text, code="X", where="w")
            for _ in range(depth - 1):
                (value,) = value
            assert value == []


def test_deep_yaml_block_mappings_are_refused():
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + f"{'  ' * 200}leaf\n"
    with pytest.raises(InputError, match="nested deeper"):
        load_yaml(text, code="X", where="w")


def test_values_python_refuses_are_typed_not_raw_value_errors(tmp_path: Path):
    path = tmp_path / "odd.yaml"
    path.write_text("as_of: 0000-01-01\n")  # a YAML timestamp in year 0: datetime raises ValueError
    with pytest.raises(ConfigError, match="year 0 is out of range"):
        read_yaml(path, code="C")
    with pytest.raises(InputError, match="digits"):
        load_json("1" * 5000, code="X", where="w")


def test_oversized_documents_are_refused_with_their_size_and_limit(tmp_path: Path):
    text = "#" * 101
    with pytest.raises(InputError) as info:
        load_yaml(text, code="X", where="w", max_bytes=100)
    assert info.value.code == "FILE_TOO_LARGE"
    assert info.value.message == "101 bytes exceeds the limit of 100 bytes"
    with pytest.raises(InputError, match=r"^FILE_TOO_LARGE: 12 bytes exceeds the limit of 11 bytes"):
        load_json('"ééééé"', code="X", where="w", max_bytes=11)  # 7 characters, 12 bytes in UTF-8
    config = tmp_path / "big.yaml"
    config.write_text("# " + "x" * MAX_YAML_BYTES)
    with pytest.raises(ConfigError) as big:
        read_yaml(config, code="C")
    assert big.value.code == "FILE_TOO_LARGE"
    assert f"{MAX_YAML_BYTES + 2} bytes exceeds the limit of {MAX_YAML_BYTES} bytes" in big.value.message


def test_the_json_hooks_are_kept():
    assert load_json('{"a": 1.10, "b": 2}', code="X", where="w", parse_float=Decimal, parse_int=Decimal) == {
        "a": Decimal("1.10"),
        "b": Decimal("2"),
    }


def _scenario(data: bytes, name: str) -> object:
    return _parse_scenario_file(data, name)


def _performance(data: bytes, name: str) -> object:
    return parse_performance(data, name)


# Every parser of a landed JSON file, with the code its malformed files carry.
JSON_PARSERS = [
    pytest.param(_scenario, "s.json", "SCENARIO_INVALID_FORMAT", id="scenarios"),
    pytest.param(parse_resolutions, "r.json", "RESOLUTIONS_INVALID_FORMAT", id="resolutions"),
    pytest.param(parse_inputs, "d.json", "INVALID_JSON", id="covenants"),
    pytest.param(_performance, "p.json", "PERFORMANCE_INVALID_JSON", id="performance"),
    pytest.param(parse_pnl_facts, "f.json", "PNL_INVALID_FILE", id="pnl"),
]


@pytest.mark.parametrize(("parse", "name", "code"), JSON_PARSERS)
def test_landed_json_nested_past_the_stack_is_a_typed_error(parse, name, code):
    with pytest.raises(InputError) as info:
        parse(DEEP_JSON.encode(), name)
    assert info.value.code == code
    assert "nested deeper than 64 levels" in info.value.message


@pytest.mark.parametrize(("parse", "name", "code"), JSON_PARSERS)
def test_landed_json_over_its_size_limit_is_refused_before_parsing(parse, name, code):
    data = b"[" + b" " * MAX_JSON_BYTES + b"]"  # valid JSON, one byte a side over the limit
    with pytest.raises(InputError) as info:
        parse(data, name)
    assert info.value.code == "FILE_TOO_LARGE"
    assert f"{MAX_JSON_BYTES + 2} bytes exceeds the limit of {MAX_JSON_BYTES} bytes" in info.value.message


def test_an_oversized_scenario_yaml_is_refused():
    with pytest.raises(InputError) as info:
        _parse_scenario_file(b"#" * (MAX_YAML_BYTES + 1), "s.yaml")
    assert info.value.code == "FILE_TOO_LARGE"


def test_performance_keeps_rejecting_nan_as_typed():
    with pytest.raises(InputError) as info:
        parse_performance(b'{"config": {"x": NaN}, "series": []}', "p.json")
    assert info.value.code == "PERFORMANCE_INVALID_JSON"


def test_xml_stays_defused():
    """Workbooks are read by openpyxl (defusedxml when installed) and python-calamine; Geneva by defusedxml."""
    import openpyxl

    from orchestration.reconciliation.geneva import parse_geneva

    assert openpyxl.DEFUSEDXML
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c;</r>'
    )
    with pytest.raises(InputError) as info:
        parse_geneva(laughs.encode(), "g.xml")
    assert info.value.code == "GENEVA_INVALID_XML"

"""Parsing what a tenant controls: YAML and JSON loaders that cannot explode (files are opened by `safe_files`).

A landed document is hostile until parsed: a 600-byte YAML alias bomb expands to gigabytes when its aliases are
walked, and deep nesting exhausts the stack. Everything here refuses such input with a typed `InputError`
(code, message, where) before anything walks it. Pure: no Dagster.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from orchestration.core.errors import InputError

FILE_TOO_LARGE = "FILE_TOO_LARGE"
"""The code of a document over its size limit, whatever the caller's code for a malformed one."""

MAX_YAML_BYTES = 1024 * 1024
"""Scenario change sets and `assets_config/` files are kilobytes; 1 MiB leaves room and keeps PyYAML quick."""
MAX_JSON_BYTES = 64 * 1024 * 1024
"""The largest JSON a landed file may hold (performance series are the big ones)."""
MAX_DEPTH = 64
"""Nesting levels of collections: every document we read needs fewer than ten."""
MAX_ALIASES = 50
"""YAML aliases per document: a few are convenient (`<<: *defaults`), a bomb needs many."""
MAX_NODES = 1_000_000
"""YAML nodes a document may expand to once every alias is walked (aliases share nodes until then)."""


def contains_nul(value: Any) -> bool:
    """Whether a string of a parsed JSON/YAML value holds U+0000, which Postgres text and JSONB cannot store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(contains_nul(v) for v in value)


def _size(data: str | bytes) -> int:
    """UTF-8 size of `data`, encoding only when a character count cannot settle it cheaply."""
    return len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))


def check_size(data: str | bytes, *, limit: int, where: str) -> None:
    """Refuse `data` over `limit` bytes with FILE_TOO_LARGE naming both figures."""
    if len(data) > limit or (isinstance(data, str) and len(data) * 4 > limit and _size(data) > limit):
        size = _size(data)
        raise InputError(FILE_TOO_LARGE, f"{size} bytes exceeds the limit of {limit} bytes", where)


class _Refused(yaml.MarkedYAMLError):
    """A YAML document over one of the loader's bounds (a YAMLError, so it reports its line like the others)."""


class BoundedLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that counts aliases, nesting depth and the node count aliases would expand to.

    The composer shares the node behind an alias, so a bomb is small while composed and explodes in whoever
    walks the result (`json.dumps`, pydantic, pandas); weighing each node as composed refuses it first.
    Recursive aliases (`&a [*a]`) are refused too: nothing downstream can serialise them.
    """

    max_depth = MAX_DEPTH
    max_aliases = MAX_ALIASES
    max_nodes = MAX_NODES

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._weights: dict[int, int] = {}

    def _refuse(self, problem: str) -> _Refused:
        return _Refused(problem=problem, problem_mark=self.peek_event().start_mark)

    def compose_document(self) -> Any:
        self._aliases, self._weights = 0, {}
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.max_aliases:
                raise self._refuse(f"more than {self.max_aliases} aliases: refused as a possible alias bomb")
            anchor = self.peek_event().anchor
            target = self.anchors.get(anchor) if anchor is not None else None
            if target is not None and id(target) not in self._weights:
                raise self._refuse(f"alias *{anchor} refers to a node that contains it: recursive aliases are refused")
            return super().compose_node(parent, index)
        collection = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if collection:
            if self._depth >= self.max_depth:
                raise self._refuse(f"nested deeper than {self.max_depth} levels")
            self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1 if collection else 0
        self._weigh(node)
        return node

    def _weigh(self, node: yaml.Node | None) -> None:
        if isinstance(node, yaml.SequenceNode):
            weight = 1 + sum(self._weights[id(child)] for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            weight = 1 + sum(self._weights[id(k)] + self._weights[id(v)] for k, v in node.value)
        else:
            weight = 1
        if weight > self.max_nodes:
            raise self._refuse(f"expands to more than {self.max_nodes} nodes through its aliases: refused as a bomb")
        self._weights[id(node)] = weight


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"not valid YAML{at}: {problem}"


def load_yaml(
    text: str | bytes,
    *,
    code: str,
    where: str,
    max_bytes: int = MAX_YAML_BYTES,
    max_depth: int = MAX_DEPTH,
    max_aliases: int = MAX_ALIASES,
    max_nodes: int = MAX_NODES,
) -> Any:
    """The one YAML document of `text` (None when empty), safe tags only, within every bound.

    Over `max_bytes` → FILE_TOO_LARGE; malformed, too deep, too many aliases, too large once expanded, or a
    value Python refuses (a year 0 date, a 5,000-digit integer) → `code`; both with `where`.
    """
    check_size(text, limit=max_bytes, where=where)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(code, f"not UTF-8 text: {error}", where) from error
    loader = BoundedLoader(text)
    loader.max_depth, loader.max_aliases, loader.max_nodes = max_depth, max_aliases, max_nodes
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        raise InputError(code, _yaml_problem(error), where) from error
    except (ValueError, OverflowError, RecursionError) as error:
        raise InputError(code, f"not valid YAML: {error}", where) from error
    finally:
        loader.dispose()


def json_depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether `value` nests lists/dicts deeper than `max_depth` (walked with a stack, never recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(
    text: str | bytes,
    *,
    code: str,
    where: str,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_DEPTH,
    parse_float: Callable[[str], Any] | None = None,
    parse_int: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """`json.loads(text)` with the same hooks, refused over `max_bytes` (FILE_TOO_LARGE) or `max_depth` (`code`).

    Malformed JSON, and a hook's ValueError (a rejected NaN, a 5,000-digit integer), are `code` too.
    """
    check_size(text, limit=max_bytes, where=where)
    try:
        document = json.loads(text, parse_float=parse_float, parse_int=parse_int, parse_constant=parse_constant)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise InputError(code, message, where) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(code, f"not valid JSON: {error}", where) from error
    except RecursionError as error:
        raise InputError(code, f"not valid JSON: nested deeper than {max_depth} levels", where) from error
    if isinstance(document, dict | list) and json_depth_exceeds(document, max_depth):
        raise InputError(code, f"not valid JSON: nested deeper than {max_depth} levels", where)
    return document

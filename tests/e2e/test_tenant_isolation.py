"""Tenant isolation generated from /openapi.json: every route that takes an id, called with another tenant's ids.

The demo world (`calcbridge demo` + `process`, plus one broken workbook so the dead-letter queue has an item) runs
under its own CALCBRIDGE_HOME and a real uvicorn. As `acme`, the test walks every GET route of the OpenAPI
document: the list routes first, then each route with path parameters, filled with ids harvested from what acme
was served, until acme gets a 200. Every route acme reached is then called, with the same ids, as `initech` (a
tenant with no data) and as `globex` (a tenant with its own data): the answer is a 404, or a 200 that carries none
of the ids acme's answer carried. Every list route, called as `initech`, carries none of acme's ids either.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.second_home import api_server, cli, home_env

pytestmark = pytest.mark.e2e

OWNER, EMPTY, OTHER = "acme", "initech", "globex"
FIXED_QUERY = {
    "startDate": "2024-01-01",
    "endDate": "2024-06-30",
    "period_start": "2024-01-01",
    "period_end": "2024-12-31",
    "ticker": "AAPL",
}
"""Required query parameters that are not ids: values for which acme has data."""
GLOBAL = re.compile(r"^/api/v1/(mappings/(profiles|aliases)|calculations/functions)/")
"""Routes whose ids name configuration every tenant shares (served alike to all): not tenant data, not probed."""
MAX_TRIES = 60


@dataclass
class World:
    base: str
    keys: dict[str, str]
    client: httpx.Client

    def get(self, tenant: str, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        return self.client.get(self.base + path, params=params, headers={"X-API-Key": self.keys[tenant]})


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The demo for acme and globex, one broken acme workbook, keys for three tenants, uvicorn on loopback."""
    # Not under pytest's tmp folders: a later session resets them to 0700 and the embedded server (its own
    # user) could no longer be stopped.
    home = Path(tempfile.mkdtemp(prefix="calcbridge-isolation-"))
    os.chmod(home, 0o755)
    env = home_env(home)
    cli(env, "demo")
    broken = home / "broken"
    broken.mkdir()
    (broken / "broken_holdings.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    cli(env, "ingest", str(broken / "broken_holdings.xlsx"), "--tenant", OWNER, "--domain", "clo")
    cli(env, "process", check=False)  # the broken workbook fails its run: process exits 1
    keys = {
        t: cli(env, "apikey", "create", "--tenant", t).stdout.strip().splitlines()[-1] for t in (OWNER, EMPTY, OTHER)
    }
    try:
        with api_server(env, home) as (base, client):
            yield World(base, keys, client)
    finally:
        cli(env, "db", "down", check=False)
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class Pool:
    """Every id-like value a tenant was served, by key and by the collection it was listed in."""

    by_key: dict[str, list[str]] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    """API paths the answers linked to (`links.provenance`): a route's ids are best taken from its own links."""

    def harvest(self, body: Any, context: str = "") -> None:
        """Collect `id`, `*_id` and `name` values; `context` is the list they sat in (or the route's resource)."""
        if isinstance(body, dict):
            if set(body) == {"value"} and isinstance(body["value"], str):  # seed 001's {"id": {"value": ...}}
                self._add("id", context, body["value"])
            for k, v in body.items():
                if k == "links" and isinstance(v, dict):
                    self.links.extend(u for u in v.values() if isinstance(u, str) and u not in self.links)
                if isinstance(v, str) and (k == "id" or k.endswith("_id") or k == "name"):
                    self._add(k, context, v)
                elif k == "id" and isinstance(v, dict):
                    self.harvest(v, context)
                else:
                    self.harvest(v, k if isinstance(v, list) and k != "data" else context)
        elif isinstance(body, list):
            for item in body:
                self.harvest(item, context)

    def _add(self, key: str, context: str, value: str) -> None:
        for name in (key, f"{key}@{context}"):
            values = self.by_key.setdefault(name, [])
            if value not in values:
                values.append(value)

    def candidates(self, param: str) -> list[str]:
        """Ids listed in a collection named like the parameter, then its own key's values, then every other id."""
        stem = {"name": "sheet", "item_id": "dlq", "job_id": "model"}.get(param, param.removesuffix("_id"))
        near = [
            v
            for k, vs in self.by_key.items()
            if "@" in k and k.split("@")[0] in ("id", param) and stem in k.split("@")[1]
            for v in vs
        ]
        others = [v for k, vs in self.by_key.items() if "@" not in k and (k == "id" or k.endswith("_id")) for v in vs]
        out: list[str] = []
        for value in [*near, *self.by_key.get(param, []), *others]:
            if value not in out:
                out.append(value)
        return out

    def ids(self) -> set[str]:
        return {v for k, vs in self.by_key.items() if "@" not in k and k != "name" for v in vs if len(v) >= 8}


def _operations(world: World) -> list[tuple[str, list[str], list[str]]]:
    """(path, path parameters, required query parameters) of every GET data route in /openapi.json."""
    document = world.client.get(world.base + "/openapi.json").json()
    out = []
    for path, item in document["paths"].items():
        if "get" not in item or not path.startswith("/api/v1/") or GLOBAL.match(path):
            continue
        params = item["get"].get("parameters", [])
        required = [p["name"] for p in params if p["in"] == "query" and p.get("required")]
        out.append((path, re.findall(r"{(\w+)}", path), required))
    return out


def _resource(path: str) -> str:
    """The route's static segments (`/api/v1/workbooks/{id}/scenarios` -> `workbooks/scenarios`): what it lists."""
    return "/".join(part for part in path.split("/")[3:] if part and not part.startswith("{"))


def _query(required: list[str], pool: Pool, choice: dict[str, str]) -> dict[str, str] | None:
    query = {}
    for name in required:
        if name in FIXED_QUERY:
            query[name] = FIXED_QUERY[name]
        elif name in choice:
            query[name] = choice[name]
        else:
            return None
    return query


def _reach(world: World, pool: Pool, path: str, names: list[str], required: list[str]) -> tuple[str, dict] | None:
    """The first filling of `path` (and its required id query parameters) that acme gets a 200 for."""
    id_queries = [q for q in required if q not in FIXED_QUERY]
    template = re.compile("^" + "[^/]+".join(re.escape(part) for part in re.split(r"{\w+}", path)) + "$")
    linked = [] if id_queries else [u for u in pool.links if template.match(u)]
    for link in linked[:MAX_TRIES]:  # a route another answer linked to (links.provenance) is reached by its link
        if world.get(OWNER, link, {}).status_code == 200:
            return link, {}
    slots = names + id_queries
    options = [pool.candidates(s if s != "portfolioId" else "portfolio_id")[:MAX_TRIES] for s in slots]
    fallback: tuple[str, dict[str, str]] | None = None
    for values in itertools.islice(itertools.product(*options), MAX_TRIES * 2):
        choice = dict(zip(slots, values, strict=True))
        url = path
        for name in names:
            url = url.replace("{" + name + "}", choice[name])
        query = _query(required, pool, choice)
        if query is None:
            return None
        answer = world.get(OWNER, url, query)
        if answer.status_code == 200:
            body = answer.json() if "json" in answer.headers.get("content-type", "") else None
            pool.harvest(body, _resource(path))
            if isinstance(body, dict) and body.get("data") == [] and fallback is None:
                fallback = (url, query)  # reached, but lists nothing: another id may list something
                continue
            return url, query
    return fallback


def _leaks(answer: httpx.Response, theirs: set[str], url: str, query: dict[str, str]) -> set[str]:
    """acme's ids (not those the caller itself put in the request) that the answer carries."""
    if answer.status_code == 404:
        return set()
    asked = set(re.split(r"[/?=&]", url)) | set(query.values())
    return {value for value in theirs - asked if value in answer.text}


def _harvest_lists(world: World, tenant: str, lists: list[tuple[str, list[str]]]) -> Pool:
    """Every id the tenant's list routes serve it."""
    pool = Pool()
    for path, required in lists:
        query = _query(required, pool, {})
        if query is not None:
            answer = world.get(tenant, path, query)
            if answer.status_code == 200 and "json" in answer.headers.get("content-type", ""):
                pool.harvest(answer.json(), _resource(path))
    return pool


def test_no_route_serves_one_tenants_ids_to_another(world: World) -> None:
    operations = _operations(world)
    lists = [(p, r) for p, names, r in operations if not names]
    pool, own = _harvest_lists(world, OWNER, lists), _harvest_lists(world, OTHER, lists)
    reached: list[tuple[str, dict[str, str]]] = []
    unreached: list[str] = []
    pending = [(p, n, r) for p, n, r in operations if n or any(q not in FIXED_QUERY for q in r)]
    for _ in range(3):  # a child route's ids come from its parent's answer: a few passes reach them all
        left = []
        for path, names, required in sorted(pending, key=lambda o: len(o[1])):
            found = _reach(world, pool, path, names, required)
            if found is None:
                left.append((path, names, required))
            else:
                reached.append(found)
        pending = left
    unreached = [path for path, _, _ in pending]
    theirs = pool.ids() - own.ids()  # a value globex is served as its own (shared configuration) is no signal
    leaks: dict[str, set[str]] = {}
    for url, query in reached:
        for tenant in (EMPTY, OTHER):
            answer = world.get(tenant, url, query)
            assert answer.status_code in (200, 404), f"{tenant} {url}: {answer.status_code} {answer.text[:300]}"
            found = _leaks(answer, theirs, url, query)
            if found:
                leaks[f"{tenant} {url}"] = found
    for path, required in lists:
        query = _query(required, pool, {})
        if query is None:
            continue
        answer = world.get(EMPTY, path, query)
        assert answer.status_code in (200, 404), f"{EMPTY} {path}: {answer.status_code}"
        found = _leaks(answer, theirs, path, query)
        if found:
            leaks[f"{EMPTY} {path}"] = found
    assert not leaks, leaks
    assert len(reached) >= 35, f"acme reached only {len(reached)} id routes; unreached: {unreached}"
    assert unreached == [] or set(unreached) <= UNREACHABLE, unreached


UNREACHABLE: set[str] = set()
"""Routes the demo world gives acme no id for (each named with why); empty when the demo covers every route."""

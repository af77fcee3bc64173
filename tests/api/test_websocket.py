"""The event stream /ws against a real uvicorn and a real WebSocket client, woken by Postgres NOTIFY.

Events are written with `orchestration.core.events` the way the pipelines write them (the outbox, NOTIFY at
commit); marts.events is built by a real `dbt build`. Every expectation is what the test itself wrote: the ids
`append` returned, the uuids and `data` of the `Event`s, the tenant it wrote them for.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from api.keys import create_api_key, revoke_api_key
from orchestration.core.events import CHANNEL, Event, append, publish
from orchestration.core.settings import PROJECT_ROOT
from tests.api.helpers import JWT_SECRET, make_token
from tests.e2e.second_home import free_port, stop_api

pytestmark = pytest.mark.e2e

CAP = 3


def tenant() -> str:
    """A tenant of the test's own: nothing another test writes reaches its connections."""
    return f"ws-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def uvicorn(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """marts.events built by dbt, then uvicorn on a free loopback port: heartbeats every second, 3 sockets a tenant."""
    platform.run_dbt("build", "--select", "stg_events", "events")
    log = tmp_path_factory.mktemp("ws") / "uvicorn.log"
    port = free_port()
    env = {k: v for k, v in platform.env.items() if not k.startswith("CALCBRIDGE_API_")} | {
        "CALCBRIDGE_API_ENV": "test",
        "CALCBRIDGE_API_JWT_SECRET": JWT_SECRET,
        "CALCBRIDGE_API_REQUIRE_DAEMON": "false",
        "CALCBRIDGE_API_RATE_LIMIT_PER_SECOND": "0",
        "CALCBRIDGE_API_TENANT_RATE_LIMIT_PER_SECOND": "0",
        "CALCBRIDGE_API_API_KEY_CACHE_SECONDS": "0",
        "CALCBRIDGE_API_WS_HEARTBEAT_SECONDS": "1",
        "CALCBRIDGE_API_WS_MAX_CONNECTIONS_PER_TENANT": str(CAP),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    listener = f"calcbridge-api-events:{process.pid}"  # other apps of the session listen too
    try:
        _wait_until(lambda: _answers(base) and _listeners(platform, listener) == 1, what="uvicorn and its listener")
        yield f"ws://127.0.0.1:{port}/ws", listener
    finally:
        stop_api(process)
        print(Path(log).read_text(errors="replace")[-4000:])  # shown when a test of the module failed


@pytest.fixture
def server(uvicorn: tuple[str, str]) -> str:
    """The /ws URL of the module's uvicorn."""
    return uvicorn[0]


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _listeners(platform: Any, name: str) -> int:
    with platform.warehouse.connect() as conn:
        query = "select count(*) from pg_stat_activity where application_name = :name"
        return int(conn.execute(sa.text(query), {"name": name}).scalar_one())


def _rows(conn: sa.Connection, query: sa.TextClause) -> list[Any]:
    """The rows of a fresh snapshot (pg_stat_activity is read once per transaction)."""
    rows = list(conn.execute(query).all())
    conn.commit()
    return rows


def _wait_until(predicate: Any, *, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def open_ws(url: str, tenant_id: str, query: str = "", **kwargs: Any) -> ClientConnection:
    """Connect with a JWT in ?token= (seed 000's form) and consume the `connected` greeting."""
    token = make_token(tenant_id, permissions=["read:events"])
    ws = connect(f"{url}?token={token}{query}", open_timeout=10, **kwargs)
    hello = receive(ws)
    assert hello["type"] == "connected"
    assert hello["tenant_id"] == tenant_id
    return ws


def receive(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """The next message that is not a heartbeat."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["type"] != "heartbeat":
            return message


def nothing_more(ws: ClientConnection, seconds: float = 1.5) -> None:
    """No message but heartbeats for `seconds`."""
    with pytest.raises(TimeoutError):
        receive(ws, timeout=seconds)


def closed_with(ws: ClientConnection) -> tuple[dict[str, Any], int]:
    """The error message a refused connection gets, and the close code that follows it."""
    error = receive(ws)
    with pytest.raises(ConnectionClosed) as closed:
        receive(ws)
    assert closed.value.rcvd is not None
    return error, closed.value.rcvd.code


def assert_error(message: dict[str, Any], code: str) -> None:
    assert message["type"] == "error"
    body = message["error"]
    assert set(body) == {"code", "message", "details", "request_id", "timestamp", "documentation_url"}
    assert body["code"] == code
    assert body["documentation_url"] == f"/docs#error-{code}"


def event(kind: str, workbook_id: str | None = "wb-1", **data: Any) -> Event:
    return Event(kind, {"workbook_id": workbook_id, **data}, workbook_id=workbook_id)


def assert_streamed(message: dict[str, Any], sent: Event, event_id: int) -> None:
    """The seed body of what the test published, with the outbox id append returned and the event's uuid."""
    assert set(message) == {"id", "event_id", "type", "timestamp", "data"}
    assert message["id"] == event_id
    assert message["event_id"] == sent.event_uuid
    assert message["type"] == sent.type
    assert message["data"] == dict(sent.data)
    assert dt.datetime.fromisoformat(message["timestamp"]).tzinfo == dt.UTC


def test_published_events_arrive_in_order_in_the_seed_shape(platform: Any, server: str) -> None:
    me = tenant()
    first = [event("workbook.updated", status="processed", holding_count=3)]
    second = [
        event("compliance.completed", summary={"total_tests": 2, "passed": 1, "failed": 1, "warning": 0}),
        event("compliance.failed", test_id="oc_senior", current_value=101.5, trigger_level=105.0),
    ]
    with open_ws(server, me) as ws:
        ids = publish(platform.warehouse, me, first) + publish(platform.warehouse, me, second)
        for sent, event_id in zip(first + second, ids, strict=True):
            assert_streamed(receive(ws), sent, event_id)
        assert ids == sorted(ids)
        nothing_more(ws)


def test_a_client_never_sees_another_tenants_events(platform: Any, server: str) -> None:
    mine, theirs = tenant(), tenant()
    with open_ws(server, mine) as ws, open_ws(server, theirs) as other:
        [their_id] = publish(platform.warehouse, theirs, [their := event("workbook.updated")])
        [my_id] = publish(platform.warehouse, mine, [my := event("workbook.updated")])
        assert_streamed(receive(ws), my, my_id)  # theirs was committed first: it would have come first
        assert_streamed(receive(other), their, their_id)
        nothing_more(ws)
        nothing_more(other, seconds=0.5)


def test_reconnecting_with_since_replays_exactly_what_was_missed(platform: Any, server: str) -> None:
    me = tenant()
    with open_ws(server, me) as ws:
        [seen_id] = publish(platform.warehouse, me, [seen := event("workbook.updated")])
        assert_streamed(receive(ws), seen, seen_id)
    missed = [event("compliance.completed"), event("alert.triggered", rule_id="r1"), event("workbook.updated")]
    missed_ids = publish(platform.warehouse, me, missed[:2]) + publish(platform.warehouse, me, missed[2:])
    publish(platform.warehouse, tenant(), [event("workbook.updated")])  # another tenant's, in between
    with open_ws(server, me, f"&since={seen_id}") as ws:
        for sent, event_id in zip(missed, missed_ids, strict=True):
            assert_streamed(receive(ws), sent, event_id)
        [live_id] = publish(platform.warehouse, me, [live := event("scenario.calculated", scenario_id="s1")])
        assert_streamed(receive(ws), live, live_id)
        nothing_more(ws)
    with open_ws(server, me, f"&since={seen_id}&events=alert.triggered,scenario.calculated") as ws:
        assert_streamed(receive(ws), missed[1], missed_ids[1])
        assert_streamed(receive(ws), live, live_id)
        nothing_more(ws)


def test_events_committed_during_a_replay_arrive_once_and_in_order(platform: Any, server: str) -> None:
    """A replay of several pages while new events commit: each id exactly once, ascending, whatever the timing."""
    me = tenant()
    [before] = publish(platform.warehouse, me, [event("workbook.updated")])
    backlog = publish(platform.warehouse, me, [event("compliance.failed", test_id=f"t{i}") for i in range(1200)])
    with connect(f"{server}?token={make_token(me, roles=['viewer'])}&since={before}", open_timeout=10) as ws:
        hello = receive(ws)
        assert hello["last_event_id"] == backlog[-1]  # where a client resumes if it leaves before any event
        received = [receive(ws)["id"]]
        live = [i for _ in range(20) for i in publish(platform.warehouse, me, [event("workbook.updated")])]
        while len(received) < len(backlog) + len(live):
            received.append(receive(ws)["id"])
        assert received == backlog + live
        nothing_more(ws)


def test_subscribe_and_unsubscribe_filter_by_type_and_workbook(platform: Any, server: str) -> None:
    me = tenant()
    with open_ws(server, me, "&events=workbook.updated") as ws:
        publish(platform.warehouse, me, [event("compliance.completed")])
        [wanted_id] = publish(platform.warehouse, me, [wanted := event("workbook.updated")])
        assert_streamed(receive(ws), wanted, wanted_id)

        ws.send('{"type": "subscribe", "events": ["compliance.completed"], "workbook_id": "wb-2"}')
        assert receive(ws) == {
            "type": "subscribed",
            "events": ["workbook.updated", "compliance.completed"],
            "workbook_id": "wb-2",
        }
        publish(platform.warehouse, me, [event("workbook.updated", "wb-1"), event("dlq.item_added", None)])
        [wanted_id] = publish(platform.warehouse, me, [wanted := event("compliance.completed", "wb-2")])
        assert_streamed(receive(ws), wanted, wanted_id)

        ws.send('{"type": "unsubscribe", "events": ["compliance.completed"]}')
        assert receive(ws) == {"type": "unsubscribed", "events": ["workbook.updated"], "workbook_id": "wb-2"}
        publish(platform.warehouse, me, [event("compliance.completed", "wb-2")])
        [wanted_id] = publish(platform.warehouse, me, [wanted := event("workbook.updated", "wb-2")])
        assert_streamed(receive(ws), wanted, wanted_id)

        ws.send('{"type": "subscribe", "events": ["workbook.updatd"]}')
        error = receive(ws)
        assert_error(error, "VALIDATION_ERROR")
        assert "workbook.updatd" in error["error"]["message"]
        assert error["error"]["details"][0]["code"] == "UNKNOWN_EVENT_TYPE"
        ws.send("not json")
        assert_error(receive(ws), "VALIDATION_ERROR")
        ws.send('{"type": "ping"}')
        assert receive(ws)["type"] == "pong"  # still open, subscription unchanged:
        ws.send('{"type": "subscribe", "workbook_id": null}')
        assert receive(ws) == {"type": "subscribed", "events": ["workbook.updated"], "workbook_id": None}
        nothing_more(ws, seconds=0.5)


def test_bad_credentials_close_4401_and_a_missing_permission_4403(platform: Any, server: str) -> None:
    me = tenant()
    revoked = create_api_key(platform.warehouse, me, "revoked")
    assert revoke_api_key(platform.warehouse, revoked.split("_")[1])
    refused = [
        f"{server}?token=not-a-jwt",
        f"{server}?token={make_token(me, expires_in=dt.timedelta(minutes=-1))}",
        f"{server}?token={make_token(me, secret='another-secret-' + 'y' * 40)}",
        f"{server}?token={revoked}",
        server,
    ]
    for url in refused:
        with connect(url, open_timeout=10) as ws:
            error, code = closed_with(ws)
            assert code == 4401, url
            assert_error(error, "AUTH_INVALID_TOKEN")
    with connect(f"{server}?token={make_token(me, permissions=['read:uploads'])}", open_timeout=10) as ws:
        error, code = closed_with(ws)
        assert code == 4403
        assert_error(error, "AUTH_INSUFFICIENT_PERMISSIONS")
    with connect(f"{server}?token={make_token(me, roles=['analyst'])}&since=yesterday", open_timeout=10) as ws:
        error, code = closed_with(ws)
        assert code == 4422
        assert_error(error, "VALIDATION_ERROR")


def test_headers_and_api_keys_authenticate_too(platform: Any, server: str) -> None:
    me = tenant()
    key = create_api_key(platform.warehouse, me, "ws key")
    bearer = {"Authorization": f"Bearer {make_token(me, roles=['viewer'])}"}
    for url, headers in ((server, {"X-API-Key": key}), (f"{server}?token={key}", {}), (server, bearer)):
        with connect(url, additional_headers=headers, open_timeout=10) as ws:
            assert receive(ws)["tenant_id"] == me
            [event_id] = publish(platform.warehouse, me, [sent := event("workbook.updated")])
            assert_streamed(receive(ws), sent, event_id)


def test_a_tenant_holds_at_most_the_cap_of_connections(server: str) -> None:
    me = tenant()
    held = [open_ws(server, me) for _ in range(CAP)]
    try:
        with connect(f"{server}?token={make_token(me, roles=['viewer'])}", open_timeout=10) as ws:
            error, code = closed_with(ws)
        assert code == 4429
        assert_error(error, "RATE_LIMIT_EXCEEDED")
        with open_ws(server, tenant()):  # another tenant is not held back
            pass
        held.pop().close()
        deadline = time.monotonic() + 10
        while True:  # the server frees the slot once it has seen the close
            with connect(f"{server}?token={make_token(me, roles=['viewer'])}", open_timeout=10) as ws:
                if receive(ws)["type"] == "connected" or time.monotonic() > deadline:
                    break
            time.sleep(0.2)
    finally:
        for ws in held:
            ws.close()


def test_heartbeats_arrive_and_a_ping_is_answered(server: str) -> None:
    with open_ws(server, tenant()) as ws:
        beat = json.loads(ws.recv(timeout=5))
        assert beat["type"] == "heartbeat"
        assert dt.datetime.fromisoformat(beat["timestamp"]).tzinfo == dt.UTC
        ws.send('{"type": "ping"}')
        assert receive(ws)["type"] == "pong"


def test_a_token_that_expires_closes_the_connection_4401(server: str) -> None:
    token = make_token(tenant(), roles=["viewer"], expires_in=dt.timedelta(seconds=2))
    with connect(f"{server}?token={token}", open_timeout=10) as ws:
        assert receive(ws)["type"] == "connected"
        error, code = closed_with(ws)
    assert code == 4401
    assert_error(error, "AUTH_INVALID_TOKEN")
    assert "expired" in error["error"]["message"]


def test_a_rolled_back_write_and_a_bare_notify_reach_no_client(platform: Any, server: str) -> None:
    me = tenant()
    with open_ws(server, me) as ws:
        with platform.warehouse.connect() as conn:
            transaction = conn.begin()
            append(conn, me, [event("workbook.updated", status="never committed")])
            transaction.rollback()
        with platform.warehouse.begin() as conn:
            conn.execute(sa.select(sa.func.pg_notify(CHANNEL, f"{me}:999999999")))
        [event_id] = publish(platform.warehouse, me, [sent := event("workbook.updated", status="committed")])
        assert_streamed(receive(ws), sent, event_id)
        nothing_more(ws)


def test_an_event_committed_after_a_later_numbered_one_is_still_streamed(platform: Any, server: str) -> None:
    """Two writes of a tenant at once: the first inserted (lower id) commits last; both reach the client once."""
    me = tenant()
    with open_ws(server, me) as ws, platform.warehouse.connect() as slow:
        transaction = slow.begin()
        [low_id] = append(slow, me, [low := event("compliance.completed", "wb-slow")])
        [high_id] = publish(platform.warehouse, me, [high := event("workbook.updated", "wb-fast")])
        assert low_id < high_id
        assert_streamed(receive(ws), high, high_id)
        transaction.commit()
        assert_streamed(receive(ws), low, low_id)
        nothing_more(ws)


def test_the_listener_reconnects_and_catches_up(platform: Any, uvicorn: tuple[str, str]) -> None:
    """Its connection is killed and cannot come back for a while; what was committed meanwhile still arrives."""
    server, listener = uvicorn
    me = tenant()
    database = platform.settings.warehouse_database
    admin = sa.create_engine(platform.warehouse.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    allow = 'alter database "{}" with allow_connections {}'
    listeners = sa.text("select pid from pg_stat_activity where application_name = :name").bindparams(name=listener)
    with open_ws(server, me) as ws:
        with platform.warehouse.connect() as opened, admin.connect() as postgres_db:
            postgres_db.execute(sa.text(allow.format(database, "false")))
            try:
                [pid] = opened.execute(listeners).scalars().all()
                opened.execute(sa.select(sa.func.pg_terminate_backend(pid)))
                opened.commit()
                _wait_until(lambda: not _rows(opened, listeners), what="the listener to go", timeout=10)
                [while_down] = append(opened, me, [missed := event("dlq.item_added", None, run_id="r1")])
                opened.commit()
                time.sleep(1)
                assert _rows(opened, listeners) == []  # still refused: the NOTIFY reached no one
            finally:
                postgres_db.execute(sa.text(allow.format(database, "true")))
        admin.dispose()
        assert_streamed(receive(ws, timeout=20), missed, while_down)
        [after] = publish(platform.warehouse, me, [sent := event("workbook.updated")])
        assert_streamed(receive(ws), sent, after)
        nothing_more(ws)


def test_a_landed_workbook_streams_its_workbook_and_compliance_events_in_order(
    platform: Any, server: str, tmp_path: Path
) -> None:
    """Issue 17 end to end: land a real workbook, run the real assets; the write path's events reach the client.

    The expected stream is read from what the run stored: workbook.uploaded, processed, updated, then
    compliance.completed, then one compliance.failed / .warning per stored test that is not passed, in the deal's
    order. Reconnecting with `since` replays exactly what came after; another tenant's client sees nothing.
    """
    from orchestration.clo import demo as clo_demo
    from orchestration.clo.assets import clo_file_assets
    from orchestration.compliance import tables
    from orchestration.compliance.assets import compliance_file_assets
    from tests.compliance.test_pipeline import Lander

    me, other = tenant(), tenant()
    lander = Lander(platform, tmp_path)
    with open_ws(server, me) as ws, open_ws(server, other) as bystander:
        as_of = clo_demo.REPORT_DATES[0]
        content = clo_demo.workbook_bytes(clo_demo.generate_holdings(n_holdings=40), as_of)
        key = lander.land(me, "clo", "clo_ws.xlsx", content, clo_demo.sidecar(as_of))
        result = lander.run(key, [*clo_file_assets, *compliance_file_assets])
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        r = tables.compliance_results
        with platform.warehouse.connect() as conn:
            stored = conn.execute(
                sa.select(r.c.test_id, r.c.status).where(r.c.tenant_id == me).order_by(r.c.sort_order)
            ).all()
        flagged = [(f"compliance.{s}", t) for t, s in stored if s != "passed"]
        expected = ["workbook.uploaded", "workbook.processed", "workbook.updated", "compliance.completed"]
        expected += [kind for kind, _ in flagged]
        got = [receive(ws, timeout=30) for _ in expected]
        assert [m["type"] for m in got] == expected
        assert [m["data"]["test_id"] for m in got[4:]] == [t for _, t in flagged]
        assert len({m["data"]["workbook_id"] for m in got}) == 1
        assert got[3]["data"]["summary"]["total_tests"] == len(stored) == 52
        assert [m["id"] for m in got] == sorted(m["id"] for m in got)
        nothing_more(ws)
        nothing_more(bystander, seconds=0.5)
    with open_ws(server, me, f"&since={got[2]['id']}") as again:  # missed everything after workbook.updated
        replayed = [receive(again) for _ in got[3:]]
        assert [m["id"] for m in replayed] == [m["id"] for m in got[3:]]
        nothing_more(again, seconds=0.5)

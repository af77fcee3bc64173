"""Price sources: Polygon's aggregates against a local HTTP server, the CSV layouts, synthetic determinism."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orchestration.equity import prices, synthetic


class FakeClock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _bar(day: dt.date, close: float) -> dict:
    # Polygon's t is the bar's start, ms since the epoch (midnight New York, here 05:00 UTC in winter)
    t = int(dt.datetime(day.year, day.month, day.day, 5, tzinfo=dt.UTC).timestamp() * 1000)
    return {"o": close - 1, "h": close + 1, "l": close - 2, "c": close, "v": 1000, "t": t}


@pytest.fixture
def server():
    """Speaks the aggregates format: /v2/aggs/ticker/{T}/range/1/day/{from}/{to}; scripted status codes."""
    state = {"script": [], "paths": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["paths"].append(self.path)
            status = state["script"].pop(0) if state["script"] else 200
            parts = self.path.split("?")[0].split("/")
            ticker = parts[4]
            if status == 200 and ticker == "NOPE":
                status = 404
            body = {"status": "ERROR", "error": "busy"}
            if status == 200:
                body = {
                    "status": "OK",
                    "ticker": ticker,
                    "resultsCount": 2,
                    "results": [_bar(dt.date(2024, 1, 2), 101.0), _bar(dt.date(2024, 1, 3), 102.5)],
                }
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


def _client(base, clock, **kw):
    return prices.PolygonClient(api_key="k", base_url=base, clock=clock, rand=lambda a, b: 0.5, **kw)


def test_429_then_success_backs_off_on_the_injected_clock(server):
    base, state = server
    state["script"] = [429, 503, 200]
    clock = FakeClock()
    client = _client(base, clock, requests_per_minute=6000)
    result = client.fetch(["AAPL"], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert result.prices["close"].tolist() == [101.0, 102.5]
    assert result.prices["price_date"].tolist() == [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    assert result.prices.loc[0, ["open", "high", "low", "volume"]].tolist() == [100.0, 102.0, 99.0, 1000.0]
    # seed formula: min(2·2^attempt, 300) + jitter(0.5) → 2.5 s then 4.5 s
    backoffs = [s for s in clock.sleeps if s >= 1]
    assert backoffs == [2.5, 4.5]
    assert result.requests == 3
    assert state["paths"][0].startswith("/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-03")
    assert "apiKey=k" in state["paths"][0]


def test_gives_up_with_a_transient_error(server):
    base, state = server
    state["script"] = [500] * 10
    client = _client(base, FakeClock(), requests_per_minute=6000, max_retries=2)
    with pytest.raises(prices.TransientSourceError):
        client.fetch(["AAPL"], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert len(state["paths"]) == 3


def test_cache_hits_make_no_request_until_the_ttl_expires(server):
    base, state = server
    clock = FakeClock()
    client = _client(base, clock, requests_per_minute=6000)
    first = client.fetch(["AAPL"], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    second = client.fetch(["AAPL"], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert len(state["paths"]) == 1
    assert (second.requests, second.cache_hits) == (0, 1)
    assert second.prices.equals(first.prices)
    clock.now += 24 * 3600 + 1
    client.fetch(["AAPL"], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert len(state["paths"]) == 2


def test_token_bucket_spaces_requests(server):
    base, state = server
    clock = FakeClock()
    client = _client(base, clock)  # default 5 a minute → one every 12 s
    starts = []
    for ticker in ("AAA", "BBB", "CCC"):
        client.fetch([ticker], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
        starts.append(clock.now)
    assert starts == [1000.0, 1012.0, 1024.0]
    assert len(state["paths"]) == 3


def test_unknown_ticker_is_a_failure_of_that_ticker_only(server):
    base, state = server
    client = _client(base, FakeClock(), requests_per_minute=6000)
    result = client.fetch(["NOPE", "AAPL"], dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert [f.ticker for f in result.failures] == ["NOPE"]
    assert result.failures[0].code == "UNKNOWN_TICKER"
    assert set(result.prices["ticker"]) == {"AAPL"}
    assert len(state["paths"]) == 2  # the 404 was not retried


def test_options_use_polygons_o_prefix():
    assert prices.PolygonClient.provider_symbol("AAPL240119C00150000") == "O:AAPL240119C00150000"
    assert prices.PolygonClient.provider_symbol("AAPL") == "AAPL"


def test_csv_layouts(tmp_path):
    (tmp_path / "etf").mkdir()
    (tmp_path / "etf" / "SPY.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,0.5,1.5,1.4,10\n2024-01-03,1,2,0.5,1.6,1.5,11\n"
    )
    (tmp_path / "VTV.csv").write_text("Date,Open,High,Low,Close,Adjusted_close,Volume\n2024-01-02,1,2,0.5,1.5,1.3,10\n")
    (tmp_path / "BRK-B.csv").write_text(
        '"Index","BRK-B.Open","BRK-B.High","BRK-B.Low","BRK-B.Close","BRK-B.Volume","BRK-B.Adjusted"\n'
        '"2024-01-02",1,2,0.5,1.5,10,1.2\n'
    )
    source = prices.CsvPriceSource(tmp_path)
    result = source.fetch(["SPY", "VTV", "BRK.B", "ZZZ"], dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    assert result.prices.set_index("ticker")["close"].to_dict() == {"SPY": 1.4, "VTV": 1.3, "BRK.B": 1.2}
    assert [(f.ticker, f.code) for f in result.failures] == [("ZZZ", "UNKNOWN_TICKER")]


def test_synthetic_prices_are_deterministic_and_order_free():
    a = prices.SyntheticPriceSource().fetch(["AAPL", "SPY"], dt.date(2024, 7, 1), dt.date(2024, 7, 9)).prices
    synthetic.unit_path.cache_clear()
    b = prices.SyntheticPriceSource().fetch(["SPY", "AAPL"], dt.date(2024, 7, 8), dt.date(2024, 7, 9)).prices
    merged = a.merge(b, on=["ticker", "price_date"])
    assert len(merged) == 4
    assert (merged["close_x"] == merged["close_y"]).all()
    assert dt.date(2024, 7, 4) not in set(a["price_date"])  # Independence Day: no bar

"""The demo book: seed 004's sample sizes, parseable, and the same bytes every time."""

import collections

from orchestration.equity import demo, positions


def test_demo_book_is_seed_sized_and_deterministic(tmp_path):
    landed = demo.write_demo(tmp_path / "landing", tmp_path / "scratch")
    again = demo.write_demo(tmp_path / "landing2", tmp_path / "scratch2")
    assert landed[0].read_bytes() == again[0].read_bytes()
    assert landed[0].parent == tmp_path / "landing" / "acme" / "equity"
    frame = positions.parse_positions(
        landed[0].read_bytes(), tenant_id="acme", portfolio_id=demo.PORTFOLIO_ID, file_name=landed[0].name
    )
    kinds = collections.Counter(frame["position_type"])
    assert kinds["LONG"] == 20
    assert kinds["SHORT"] == 15
    assert kinds["LC"] + kinds["LP"] + kinds["SC"] + kinds["SP"] == 15
    gross = (frame["quantity"].abs() * frame["entry_price"] * frame["multiplier"]).sum()
    assert 2_900_000 < float(gross) < 3_100_000  # the seed's $3M book

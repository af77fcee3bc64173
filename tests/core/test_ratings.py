"""The one rating vocabulary, against the published scales and Moody's rating-factor table; dbt's seed is it."""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.core import ratings
from orchestration.core.settings import PROJECT_ROOT

SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "staging" / "clo" / "rating_scale.csv"


def test_the_dbt_seed_is_generated_from_the_module():
    """Regenerate with `python -c "from orchestration.core.ratings import seed_csv; print(seed_csv(), end='')"`."""
    assert SEED.read_text() == ratings.seed_csv()


@pytest.mark.parametrize(
    ("token", "notch"),
    [("Aaa", 0), ("AAA", 0), ("Baa3", 9), ("BBB-", 9), ("Caa1", 16), ("CCC+", 16), ("C", 20), ("D", 21), ("SD", 21)],
)
def test_notches_count_from_the_top_of_each_scale(token, notch):
    assert ratings.notch(token) == notch


def test_decorations_and_not_rated_tokens():
    assert ratings.notch("B2 *-") == ratings.notch("B (sf)") == 14
    assert ratings.normalize_rating("(P)Baa3") == "Baa3"
    assert ratings.normalize_rating("bbb- (sf)", "sp") == "BBB-"
    assert ratings.normalize_rating("C", "moodys") == "C"
    for token in ("NR", "WR", "n/a", " ", "-"):
        assert ratings.notch(token) is None
        assert ratings.normalize_rating(token) is None
    assert ratings.notch_difference("Ba3", "B3") == -3


def test_equivalents_and_factors_follow_the_published_tables():
    # Moody's rating factors (Moody's "Approach to Rating CLOs" table): Baa3 610, B2 2720, Caa3 8070.
    assert [ratings.RATING_FACTORS[r] for r in ("Aaa", "Baa3", "B2", "Caa3", "C")] == [1, 610, 2720, 8070, 10000]
    assert ratings.sp_to_moodys("BB+") == "Ba1"
    assert ratings.fitch_to_moodys("CCC-") == "Caa3"
    assert ratings.sp_to_moodys("SD") == ratings.fitch_to_moodys("RD") == "C"
    assert ratings.fitch_to_moodys("SD") is None  # SD is S&P's token, not Fitch's


def test_effective_rating_and_the_ccc_rule():
    rating, source = ratings.effective_ratings(
        ["B2", None, None, None, "Caa1"], ["CCC", "B-", None, None, None], [None, "CCC", "CCC+", None, None]
    )
    assert rating.tolist() == ["B2", "B3", "Caa1", "Caa3", "Caa1"]
    assert source.tolist() == ["moodys", "sp", "fitch", "default", "moodys"]
    assert ratings.in_ccc_bucket(rating).tolist() == [False, False, True, True, True]
    assert ratings.rating_factors(rating).tolist() == [2720.0, 3490.0, 4770.0, 8070.0, 4770.0]
    assert ratings.in_ccc_bucket(np.array(["B3", "Caa1", "C"], dtype=object)).tolist() == [False, True, True]


def test_seed_rows_cover_every_token_of_every_scale():
    rows = ratings.scale_rows()
    per_agency = {a: [r["token"] for r in rows if r["agency"] == a] for a in ("moodys", "sp", "fitch", "none")}
    assert per_agency["moodys"] == list(ratings.MOODYS_SCALE)
    assert per_agency["sp"] == list(ratings.SP_SCALE)
    assert per_agency["fitch"] == list(ratings.FITCH_SCALE)
    assert [r["moodys_equivalent"] for r in rows if r["agency"] == "none"] == ["Caa3"]
    assert all(r["is_ccc"] == (r["moodys_equivalent"] in ratings.CCC_OR_LOWER) for r in rows)

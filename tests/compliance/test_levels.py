"""Where each applied level came from (levels.py), worked by hand from assets_config/compliance/*.yaml.

default.yaml: oc_senior 115/120, warf_test 3000/2800, was_test 350/375, no oc_class_c / oc_class_d.
clo_2024_1.yaml (over default): oc_class_c 108/110, oc_class_d 104/106; oc_senior, warf_test as default.
"""

from __future__ import annotations

import datetime as dt

from orchestration.compliance.config import load_profiles
from orchestration.compliance.deal import resolve_deal
from orchestration.compliance.levels import AppliedLevels, level_sources

SIDECAR = {
    "compliance_profile": "clo_2024_1",
    "deal": {"tests": [{"id": "warf_test", "target_level": 2750}]},
}
SHEET = {
    "tests": [
        {"id": "oc_senior", "trigger_level": 125, "target_level": 128},
        {"id": "oc_class_c", "trigger_level": 109},
        {"id": "ccc_tight", "direction": "max", "unit": "percent", "metric": "ccc_pct", "trigger_level": 6},
    ]
}


def test_each_level_names_the_highest_layer_that_sets_it_and_the_profile_level_beside_it() -> None:
    profiles = load_profiles()
    levels = level_sources(sidecar=SIDECAR, sheet_deal=SHEET, profiles=profiles)
    named = "profile:clo_2024_1"
    expected = {
        # both levels on the sheet; clo_2024_1 has no oc_senior, so its level is the default's 115 / 120
        "oc_senior": ("structure_sheet", "structure_sheet", 115.0, 120.0),
        # trigger on the sheet, target not: the named profile's 110
        "oc_class_c": ("structure_sheet", named, 108.0, 110.0),
        "oc_class_d": (named, named, 104.0, 106.0),
        # the sidecar sets only the target; the trigger is the default profile's (clo_2024_1 leaves warf_test)
        "warf_test": ("default", "sidecar", 3000.0, 2800.0),
        "was_test": ("default", "default", 350.0, 375.0),
        # a test only the sheet has: its target is its trigger (parse_deal), no profile level
        "ccc_tight": ("structure_sheet", "structure_sheet", None, None),
    }
    for test_id, (trigger, target, profile_trigger, profile_target) in expected.items():
        assert levels[test_id] == AppliedLevels(trigger, target, "clo_2024_1", profile_trigger, profile_target)
    deal = resolve_deal(sidecar=SIDECAR, sheet_deal=SHEET, profiles=profiles, fallback_as_of=dt.date(2026, 1, 31))
    assert set(levels) == {t.id for t in deal.tests}  # one entry per test the deal runs
    applied = {t.id: (t.trigger_level, t.target_level) for t in deal.tests}
    assert applied["oc_senior"] == (125, 128)
    assert applied["oc_class_c"] == (109, 110)
    assert applied["warf_test"] == (3000, 2750)
    assert applied["ccc_tight"] == (6, 6)


def test_the_default_profile_is_default_whether_named_or_not() -> None:
    profiles = load_profiles()
    for sidecar in (None, {"compliance_profile": "default"}):
        levels = level_sources(sidecar=sidecar, sheet_deal=None, profiles=profiles)
        assert levels["oc_senior"] == AppliedLevels("default", "default", "default", 115.0, 120.0)
        assert "oc_class_c" not in levels

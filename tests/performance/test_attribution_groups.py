"""Attribution by several group keys and against a BY_INSTRUMENT benchmark (seed 002), worked by hand."""

import json
from decimal import Decimal

import pytest

from orchestration.performance.engine import attribution_frames, prepare
from orchestration.performance.inputs import parse_performance
from tests.performance.helpers import BY_GROUP, BY_INSTRUMENT, close, one_day_doc

D = Decimal
MODES = ["DECIMAL_STRICT", "FLOAT64"]


pytestmark = pytest.mark.usefixtures("decimal_context")


def _effects(doc):
    frames = attribution_frames(prepare(parse_performance(json.dumps(doc))))
    fx = frames.effects
    effects = fx[(fx.period_name == "ITD") & (fx.model == "BRINSON_FACHLER") & (fx.linking == "NONE")]
    return frames, effects.set_index(["group_key", "group_value"])


# B = 0.3·0.01 + 0.2·0 + 0.3·0.005 + 0.2·0.01 = 0.003 + 0 + 0.0015 + 0.002 = 0.0065; R − B = 0.0035.
# BF by sector|region: allocation (w_p − w_b)(r_b − B); selection w_b(r_p − r_b); interaction (w_p − w_b)(r_p − r_b).
#   Tech|US   w_p 0.4 r_p 0.02;  w_b 0.3 r_b 0.01:  0.1·0.0035 = 0.00035;    0.3·0.01 = 0.003;     0.1·0.01 = 0.001
#   Tech|EU   w_p 0.1 r_p −0.01; w_b 0.2 r_b 0:     −0.1·(−0.0065) = 0.00065; 0.2·(−0.01) = −0.002; −0.1·(−0.01) = 0.001
#   Energy|US w_p 0.5 r_p 0.006; w_b 0.3 r_b 0.005: 0.2·(−0.0015) = −0.0003; 0.3·0.001 = 0.0003;   0.2·0.001 = 0.0002
#   Energy|EU w_p 0   r_p 0;     w_b 0.2 r_b 0.01:  −0.2·0.0035 = −0.0007;   0.2·(−0.01) = −0.002; −0.2·(−0.01) = 0.002
#   Σ: allocation 0, selection −0.0007, interaction 0.0042 → 0.0035 = R − B.
TWO_KEYS = {
    "Tech|US": ("0.00035", "0.003", "0.001"),
    "Tech|EU": ("0.00065", "-0.002", "0.001"),
    "Energy|US": ("-0.0003", "0.0003", "0.0002"),
    "Energy|EU": ("-0.0007", "-0.002", "0.002"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("benchmark", [BY_GROUP, BY_INSTRUMENT], ids=["by_group", "by_instrument"])
def test_two_group_keys_joined_in_order(mode, benchmark):
    frames, effects = _effects(one_day_doc(mode, benchmark))
    assert set(frames.effects.group_key) == {"sector", "region", "sector|region"}
    for group, expected in TWO_KEYS.items():
        row = effects.loc[("sector|region", group)]
        for name, value in zip(("allocation", "selection", "interaction"), expected, strict=True):
            assert close(row[name], value), (group, name, row[name], value)
    t = frames.totals
    pick = (t.period_name == "ITD") & (t.group_key == "sector|region") & (t.model == "BRINSON_FACHLER")
    (totals,) = [row for _, row in t[pick & (t.linking == "NONE")].iterrows()]
    assert close(totals["total_effects"], "0.0035")
    assert close(totals["residual_bp"], 0)


@pytest.mark.parametrize("mode", MODES)
def test_by_instrument_constituents_map_to_groups_through_their_own_group_keys(mode):
    _, effects = _effects(one_day_doc(mode, BY_INSTRUMENT))
    # By sector: benchmark Tech w = 0.1 + 0.2 + 0.2 = 0.5, r = (0.002 + 0.001 + 0)/0.5 = 0.006;
    # Energy w = 0.5, r = (0.0015 + 0.002)/0.5 = 0.007. Portfolio Tech w 0.5, r = 7/500 = 0.014; Energy 0.5, 0.006.
    # Allocation 0 (equal weights); selection Tech 0.5·(0.014 − 0.006) = 0.004, Energy 0.5·(0.006 − 0.007) = −0.0005.
    assert close(effects.loc[("sector", "Tech"), "selection"], "0.004")
    assert close(effects.loc[("sector", "Energy"), "selection"], "-0.0005")
    assert close(effects.loc[("sector", "Tech"), "allocation"], 0)


def test_a_constituent_without_a_group_key_is_unclassified_and_repeats_are_refused():
    doc = one_day_doc("DECIMAL_STRICT", json.loads(json.dumps(BY_INSTRUMENT)))
    del doc["benchmark"]["weights"][4]["group_keys"]["region"]  # X5 Energy, no region
    _, effects = _effects(doc)
    # X5 (w 0.2, r 0.01) is Energy|UNCLASSIFIED; the portfolio holds none of it: selection 0.2·(0 − 0.01) = −0.002.
    assert close(effects.loc[("sector|region", "Energy|UNCLASSIFIED"), "selection"], "-0.002")
    doc["benchmark"]["weights"].append(dict(doc["benchmark"]["weights"][0]))
    from orchestration.core.errors import InputError

    with pytest.raises(InputError) as caught:
        parse_performance(json.dumps(doc))
    assert caught.value.code == "PERFORMANCE_DUPLICATE_BENCHMARK_ROW"

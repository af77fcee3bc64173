"""core.config and every domain's config loader: a broken YAML file is one typed error naming the file and field."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from orchestration.clo.mapping import profiles as clo_profiles
from orchestration.compliance import alert_rules
from orchestration.compliance import config as compliance_config
from orchestration.compliance.diversity import default_diversity_table, load_diversity_table
from orchestration.core.config import ConfigError, field_path, load_model, read_yaml
from orchestration.core.errors import InputError
from orchestration.covenants.config import load_covenants_config
from orchestration.equity.config import load_settings
from orchestration.reconciliation import config as recon_config
from orchestration.reports.config import load_templates


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_field_path_reads_like_the_yaml() -> None:
    assert field_path(("rules", 0, "kind")) == "rules[0].kind"
    assert field_path(("profiles", "default", "par_amount", "absolute")) == "profiles.default.par_amount.absolute"
    assert field_path(()) == ""


def test_invalid_yaml_names_the_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", "rules:\n  - id: a\n   kind: x\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(path, code="SOME_CODE")
    assert info.value.code == "SOME_CODE"
    assert info.value.where == str(path)
    assert "line 3" in info.value.message
    assert isinstance(info.value, InputError)
    assert isinstance(info.value, ValueError)


def test_a_missing_file_is_typed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_yaml(tmp_path / "absent.yaml")


def test_load_model_points_at_the_first_bad_field_and_lists_all() -> None:
    with pytest.raises(ConfigError) as info:
        recon_config.parse_profiles(
            {"profiles": {"default": {"par_amount": {"absolute": "lots"}, "rating": {"notches": -1}}}}, "t.yaml"
        )
    error = info.value
    assert error.code == "INVALID_TOLERANCE_CONFIG"
    assert error.where == "t.yaml: profiles.default.par_amount.absolute"
    assert "(and 1 more)" in error.message
    assert [e["field"] for e in error.details["errors"]] == [
        "profiles.default.par_amount.absolute",
        "profiles.default.rating.notches",
    ]


def test_reconciliation_rules_keep_their_rules() -> None:
    with pytest.raises(ConfigError) as info:
        recon_config.parse_rules({"rules": [{"id": "r", "kind": "difference_below"}]}, "auto.yaml")
    assert (info.value.code, info.value.where) == ("INVALID_AUTO_RULES", "auto.yaml: rules[0]")
    assert "abs_below" in info.value.message
    with pytest.raises(ConfigError, match="unique"):
        recon_config.parse_rules({"rules": [{"id": "r", "kind": "pending_trade"}] * 2}, "auto.yaml")
    (rule,) = recon_config.parse_rules({"rules": [{"id": 7, "kind": "pending_trade", "description": "d"}]})
    assert (rule.id, rule.explanation, rule.fields) == ("7", "d", ())


def test_the_shipped_files_load() -> None:
    assert "default" in recon_config.load_profiles()
    assert recon_config.load_rules()
    assert alert_rules.load_config().rules
    assert "default" in compliance_config.load_profiles()
    assert len(default_diversity_table().industries) == 35
    assert load_templates()
    assert clo_profiles.load_profiles()
    load_covenants_config()
    load_settings()


def test_alert_operators_match_the_config_vocabulary() -> None:
    assert set(alert_rules.OPERATORS) == set(get_args(compliance_config.Operator))


def test_alert_files_errors_name_the_rule_or_webhook(tmp_path: Path) -> None:
    folder = tmp_path / "alerts"
    _write(folder, "a.yaml", "rules:\n  - id: x\n    condition: {metric: oc_senior, operator: below, threshold: 1}\n")
    with pytest.raises(ConfigError) as info:
        alert_rules.load_config(folder)
    assert (info.value.code, info.value.where) == ("ALERT_RULE_INVALID", "a.yaml:rules[0].condition.operator")
    _write(folder, "a.yaml", "webhooks:\n  - url: http://x\n    events: [compliance.passed]\n")
    with pytest.raises(ConfigError) as info:
        alert_rules.load_config(folder)
    assert (info.value.code, info.value.where) == ("ALERT_WEBHOOK_INVALID", "a.yaml:webhooks[0].events[0]")
    _write(folder, "a.yaml", "rules:\nwebhooks:\n  - url: http://x\n")
    config = alert_rules.load_config(folder)
    assert config.rules == ()
    assert config.webhooks[0].events == compliance_config.EVENTS


def test_a_profile_that_is_not_a_mapping(tmp_path: Path) -> None:
    _write(tmp_path, "default.yaml", "- just\n- a list\n")
    with pytest.raises(ConfigError) as info:
        compliance_config.load_profiles(tmp_path)
    assert info.value.code == "PROFILE_INVALID"


def test_a_diversity_table_that_falls(tmp_path: Path) -> None:
    industries = "".join(f"  - industry {i}\n" for i in range(35))
    path = _write(tmp_path, "d.yaml", f"max_score: 5\ntable: [[0, 0], [1, 2], [2, 1]]\nindustries:\n{industries}")
    with pytest.raises(ConfigError) as info:
        load_diversity_table(path)
    assert info.value.code == "DIVERSITY_TABLE_INVALID"
    assert "never fall" in info.value.message
    path.write_text(f"max_score: 5\ntable: [[0, 0], [1, 1], [2, 2]]\nindustries:\n{industries}", encoding="utf-8")
    table = load_diversity_table(path)
    # between two keys the lower one's score; more than 0.1 above the last key the cap
    assert list(table.lookup([0.5, 1.0, 2.05, 2.5])) == [0.0, 1.0, 2.0, 5.0]


def test_covenants_and_equity_name_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "covenants.yaml", "- a list\n")
    with pytest.raises(ConfigError) as info:
        load_covenants_config(path)
    assert info.value.code == "INVALID_COVENANTS_CONFIG"
    path = _write(tmp_path, "factors.yaml", "factors: 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.code == "INVALID_EQUITY_CONFIG"
    assert info.value.where.startswith(f"{path}: ")


def test_a_mapping_profile_with_an_unknown_field(tmp_path: Path) -> None:
    _write(tmp_path, "p.yaml", "id: p\nmappings:\n  not_a_field: {source: X}\n")
    with pytest.raises(ConfigError) as info:
        clo_profiles.load_profiles(tmp_path)
    assert info.value.code == "MAPPING_PROFILE_INVALID"
    assert "not_a_field" in info.value.message


def test_load_model_of_a_whole_document_error_has_no_field() -> None:
    with pytest.raises(ConfigError) as info:
        load_model(compliance_config.AlertRulesPart, [1, 2], code="X", where="w.yaml")
    assert info.value.where == "w.yaml"

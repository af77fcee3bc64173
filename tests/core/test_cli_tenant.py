"""`calcbridge ingest --tenant ../acme` is a one-line typed refusal (exit 2), never a traceback or a write."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orchestration.cli import main
from orchestration.core.settings import PROJECT_ROOT, get_settings


@pytest.mark.parametrize("tenant", ["../acme", "acme\n", "ACME", "a/b"])
def test_ingest_refuses_a_tenant_that_is_not_a_slug(tmp_path, tenant):
    source = tmp_path / "holdings.csv"
    source.write_text("cusip,par\n")
    landing = tmp_path / "home" / "landing"
    env = {**os.environ, "CALCBRIDGE_HOME": str(tmp_path / "home"), "CALCBRIDGE_LANDING_ROOT": str(landing)}
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "ingest", "--tenant", tenant, "--domain", "clo", str(source)],
        env=env,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: INVALID_TENANT: ")
    assert repr(tenant) in line
    assert not (tmp_path / "home").exists()  # nothing written, not even the landing root
    assert not (tmp_path / "acme").exists()


def test_rerun_and_apikey_refuse_it_the_same_way(tmp_path, monkeypatch, capsys):
    # Were the refusal missing, these would reach a database: make it one that cannot be reached.
    monkeypatch.setenv("CALCBRIDGE_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://calcbridge@127.0.0.1:1/unreachable")
    get_settings.cache_clear()
    try:
        assert main(["rerun", "--failed", "--tenant", "../acme"]) == 2
        assert main(["apikey", "create", "--tenant", "../acme"]) == 2
    finally:
        get_settings.cache_clear()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("error: INVALID_TENANT: '../acme'") for line in lines)

"""The landing scan is safe by construction (issue 15 part 2).

No symbolic link is followed (file, sidecar, domain folder, tenant folder, dangling): each is logged in
`ops.landing_log` as SYMLINK_REFUSED and nothing behind it is archived or requested. A problem with one
candidate (a name too long for its sidecar, an odd name, a FIFO, an unreadable folder, a file swapped for a
link after listing) is logged for that candidate and the scan goes on. Every file kind has a size limit.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from orchestration.core import landing_log
from orchestration.core.landing import (
    Accepted,
    LandingCursor,
    Rejected,
    evaluate_candidate,
    list_candidates,
    max_bytes_for,
    scan_landing,
)
from orchestration.core.safe_files import ArchiveError
from orchestration.core.safe_parse import MAX_YAML_BYTES
from orchestration.core.schema import landing_log as landing_log_table
from orchestration.core.settings import PlatformSettings, get_settings

NOW = 2**62  # far future: every file has settled


def _modes_are_enforced() -> bool:
    """Whether this process is refused a mode-000 file (root with CAP_DAC_OVERRIDE is not)."""
    probe = Path(tempfile.mkdtemp()) / "probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        probe.read_bytes()
    except PermissionError:
        return True
    finally:
        probe.unlink()
        probe.parent.rmdir()
    return False


MODES_ENFORCED = _modes_are_enforced()


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _evaluate(platform, root: Path, domain: str, **kwargs) -> landing_log.Evaluation:
    return landing_log.evaluate(
        platform.warehouse,
        domain,
        None,
        landing_root=root / "landing",
        archive_root=root / "archive",
        settle_seconds=0,
        **kwargs,
    )


def _logged(platform, tenant: str) -> set[tuple[str, str, str, str | None]]:
    """(domain, relative_path, status, reason_code) of every ops.landing_log row of a tenant."""
    t = landing_log_table
    query = sa.select(t.c.domain, t.c.relative_path, t.c.status, t.c.reason_code).where(t.c.tenant_id == tenant)
    with platform.warehouse.connect() as conn:
        return {tuple(row) for row in conn.execute(query)}


def _archived(root: Path) -> set[str]:
    """The sha256 of every archived file (the archive names files by their content hash)."""
    return {p.name.split(".")[0] for p in (root / "archive").rglob("*") if p.is_file()}


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_file_links_to_another_tenant_or_the_host_are_refused_and_logged(platform, tmp_path):
    landing = tmp_path / "landing"
    victim = b"cusip,par\nVICTIM001,1\n"
    _write(landing / "ln-victim" / "clo" / "holdings.csv", victim)
    host_file = _write(tmp_path / "host" / "secret.csv", b"host secret\n")
    (landing / "ln-thief" / "clo").mkdir(parents=True)
    (landing / "ln-thief" / "clo" / "stolen.csv").symlink_to(Path("../../ln-victim/clo/holdings.csv"))
    (landing / "ln-thief" / "clo" / "host.csv").symlink_to(host_file)

    evaluation = _evaluate(platform, tmp_path, "clo")

    assert {r.tags["tenant"] for r in evaluation.requests} == {"ln-victim"}
    assert _logged(platform, "ln-thief") == {
        ("clo", "ln-thief/clo/stolen.csv", "rejected", "SYMLINK_REFUSED"),
        ("clo", "ln-thief/clo/host.csv", "rejected", "SYMLINK_REFUSED"),
    }
    assert _archived(tmp_path) == {_sha(victim)}  # the host file was never read, let alone archived


def test_a_domain_folder_link_is_refused_and_nothing_under_it_is_read(platform, tmp_path):
    landing = tmp_path / "landing"
    victim = b"ticker,quantity,entry_price,entry_date,tags\nAAPL,1,1,2024-01-02,\n"
    _write(landing / "df-victim" / "equity" / "positions.csv", victim)
    (landing / "df-thief").mkdir()
    (landing / "df-thief" / "equity").symlink_to(landing / "df-victim" / "equity", target_is_directory=True)

    evaluation = _evaluate(platform, tmp_path, "equity")

    assert {r.tags["tenant"] for r in evaluation.requests} == {"df-victim"}
    assert _logged(platform, "df-thief") == {("equity", "df-thief/equity", "rejected", "SYMLINK_REFUSED")}
    assert _archived(tmp_path) == {_sha(victim)}


def test_a_tenant_folder_link_into_another_tenant_is_refused(platform, tmp_path):
    landing = tmp_path / "landing"
    victim = b'{"deals": []}'
    _write(landing / "tf-victim" / "covenants" / "deals.json", victim)
    (landing / "tf-thief").symlink_to(Path("tf-victim"), target_is_directory=True)

    evaluation = _evaluate(platform, tmp_path, "covenants")

    assert {r.tags["tenant"] for r in evaluation.requests} == {"tf-victim"}
    assert {(r.candidate.relative_path, r.code) for r in evaluation.rejected} == {("tf-thief", "SYMLINK_REFUSED")}
    assert _logged(platform, "tf-thief") == {("covenants", "tf-thief", "rejected", "SYMLINK_REFUSED")}
    assert _archived(tmp_path) == {_sha(victim)}


def test_a_dangling_link_is_logged_not_skipped(platform, tmp_path):
    folder = tmp_path / "landing" / "dangling" / "pnl"
    folder.mkdir(parents=True)
    (folder / "facts.csv").symlink_to(tmp_path / "not-there-yet.csv")

    evaluation = _evaluate(platform, tmp_path, "pnl")

    assert evaluation.requests == []
    assert _logged(platform, "dangling") == {("pnl", "dangling/pnl/facts.csv", "rejected", "SYMLINK_REFUSED")}
    assert _archived(tmp_path) == set()


def test_a_sidecar_link_is_refused_with_its_file(platform, tmp_path):
    landing = tmp_path / "landing"
    _write(landing / "sc-victim" / "clo" / "h.csv", b"a\n")
    (landing / "sc-victim" / "clo" / "h.csv.meta.json").write_text(json.dumps({"name": "victim's private deal"}))
    _write(landing / "sc-thief" / "clo" / "h.csv", b"b\n")
    (landing / "sc-thief" / "clo" / "h.csv.meta.json").symlink_to(landing / "sc-victim" / "clo" / "h.csv.meta.json")

    evaluation = _evaluate(platform, tmp_path, "clo")

    assert {r.tags["tenant"] for r in evaluation.requests} == {"sc-victim"}
    assert _logged(platform, "sc-thief") == {
        ("clo", "sc-thief/clo/h.csv", "rejected", "SYMLINK_REFUSED"),
        ("clo", "sc-thief/clo/h.csv.meta.json", "rejected", "SYMLINK_REFUSED"),
    }


def test_a_link_swapped_in_after_listing_is_not_followed(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    secret = _write(tmp_path / "host" / "secret.csv", b"host secret\n")
    _write(landing / "swap" / "clo" / "a.csv", b"a\n")
    _write(landing / "swap2" / "clo" / "b.csv", b"b\n")
    candidates = {c.tenant_id: c for c in list_candidates(landing, "clo")}

    # The file becomes a link to a host file, and another tenant's domain folder becomes a link.
    (landing / "swap" / "clo" / "a.csv").unlink()
    (landing / "swap" / "clo" / "a.csv").symlink_to(secret)
    (landing / "swap2" / "clo").rename(landing / "swap2" / "real")
    _write(tmp_path / "elsewhere" / "b.csv", b"not yours\n")
    (landing / "swap2" / "clo").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    for tenant in ("swap", "swap2"):
        outcome = evaluate_candidate(candidates[tenant], archive)
        assert isinstance(outcome, Rejected)
        assert outcome.code == "SYMLINK_REFUSED"
    assert not archive.exists() or _archived(tmp_path) == set()


def test_a_name_too_long_for_its_sidecar_is_logged_and_the_scan_goes_on(platform, tmp_path):
    landing = tmp_path / "landing"
    long_name = "h" * 246 + ".csv"  # 250 characters: its sidecar name (260) exceeds NAME_MAX
    _write(landing / "long-a" / "clo" / long_name, b"a\n")
    fine = _write(landing / "long-b" / "clo" / "fine.csv", b"fine\n")

    evaluation = _evaluate(platform, tmp_path, "clo")

    assert [r.tags["tenant"] for r in evaluation.requests] == ["long-b"]
    assert evaluation.requests[0].partition_key == f"long-b.{_sha(fine.read_bytes())[:16]}"
    assert _logged(platform, "long-a") == {("clo", f"long-a/clo/{long_name}", "rejected", "FILE_NAME_TOO_LONG")}
    (rejected,) = evaluation.rejected
    assert "250" in rejected.reason


def test_a_fifo_is_logged_and_never_opened(platform, tmp_path):
    folder = tmp_path / "landing" / "fifo" / "clo"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe.csv")  # opening it for reading would block the sensor forever
    _write(folder / "real.csv", b"r\n")

    evaluation = _evaluate(platform, tmp_path, "clo")

    assert len(evaluation.requests) == 1
    assert _logged(platform, "fifo") == {
        ("clo", "fifo/clo/pipe.csv", "rejected", "NOT_A_REGULAR_FILE"),
        ("clo", "fifo/clo/real.csv", "accepted", None),
    }


def test_a_name_that_is_not_utf8_is_logged_escaped_and_the_scan_goes_on(platform, tmp_path):
    folder = tmp_path / "landing" / "bytes-name" / "clo"
    folder.mkdir(parents=True)
    with open(os.fsencode(folder) + b"/bad\xff.csv", "wb") as raw:
        raw.write(b"x\n")
    _write(folder / "good.csv", b"g\n")

    evaluation = _evaluate(platform, tmp_path, "clo")

    assert len(evaluation.requests) == 1
    assert _logged(platform, "bytes-name") == {
        ("clo", "bytes-name/clo/bad\\udcff.csv", "rejected", "INVALID_FILE_NAME"),
        ("clo", "bytes-name/clo/good.csv", "accepted", None),
    }


def test_a_sidecar_with_a_nul_character_is_rejected_not_fatal(platform, tmp_path):
    folder = tmp_path / "landing" / "nul-side" / "clo"
    _write(folder / "h.csv", b"h\n")
    (folder / "h.csv.meta.json").write_text('{"name": "a\\u0000b"}')  # Postgres JSONB cannot hold \u0000
    _write(tmp_path / "landing" / "nul-ok" / "clo" / "ok.csv", b"ok\n")

    evaluation = _evaluate(platform, tmp_path, "clo")

    assert [r.tags["tenant"] for r in evaluation.requests] == ["nul-ok"]
    assert _logged(platform, "nul-side") == {("clo", "nul-side/clo/h.csv", "rejected", "INVALID_SIDECAR")}


def test_a_tenant_folder_with_a_trailing_newline_is_not_a_tenant(tmp_path):
    landing = tmp_path / "landing"
    _write(landing / "acme\n" / "clo" / "h.csv", b"h\n")
    result = scan_landing(landing, tmp_path / "archive", "clo", LandingCursor(), now_ns=NOW, settle_seconds=0)
    assert result.accepted == []
    assert [r.code for r in result.rejected] == ["INVALID_TENANT"]


@pytest.mark.skipif(not MODES_ENFORCED, reason="this process reads every folder whatever its mode (root)")
def test_an_unreadable_domain_folder_is_logged_and_the_scan_goes_on(tmp_path):
    landing = tmp_path / "landing"
    locked = landing / "locked" / "clo"
    _write(locked / "h.csv", b"h\n")
    _write(landing / "open" / "clo" / "o.csv", b"o\n")
    locked.chmod(0)
    try:
        result = scan_landing(landing, tmp_path / "archive", "clo", LandingCursor(), now_ns=NOW, settle_seconds=0)
    finally:
        locked.chmod(0o755)
    assert [a.candidate.tenant_id for a in result.accepted] == ["open"]
    assert [(r.candidate.relative_path, r.code) for r in result.rejected] == [("locked/clo", "UNREADABLE_FOLDER")]


@pytest.mark.skipif(not MODES_ENFORCED, reason="this process reads every file whatever its mode (root)")
def test_an_unreadable_file_is_logged_and_the_scan_goes_on(tmp_path):
    landing = tmp_path / "landing"
    locked = _write(landing / "perm" / "clo" / "locked.csv", b"l\n")
    _write(landing / "perm" / "clo" / "open.csv", b"o\n")
    locked.chmod(0)
    result = scan_landing(landing, tmp_path / "archive", "clo", LandingCursor(), now_ns=NOW, settle_seconds=0)
    assert [a.candidate.file_name for a in result.accepted] == ["open.csv"]
    (rejected,) = result.rejected
    assert rejected.code == "UNREADABLE_FILE"
    assert "Permission denied" in rejected.reason


def test_every_file_kind_has_a_size_limit_and_overrides_are_per_domain_or_extension():
    yaml_limit = max_bytes_for("scenarios", ".yaml")
    assert yaml_limit == MAX_YAML_BYTES == 1024 * 1024
    assert max_bytes_for("clo", ".xlsx") == 200 * 1024 * 1024
    overrides = {"scenarios/.yaml": 100, "clo": 7, ".json": 9}
    assert max_bytes_for("scenarios", ".yaml", overrides) == 100
    assert max_bytes_for("scenarios", ".yml", overrides) == MAX_YAML_BYTES
    assert max_bytes_for("clo", ".csv", overrides) == 7
    assert max_bytes_for("performance", ".json", overrides) == 9


def test_an_oversized_file_is_refused_with_its_size_and_limit(tmp_path):
    landing = tmp_path / "landing"
    _write(landing / "big" / "scenarios" / "at-limit.yaml", b"#" * 100)
    _write(landing / "big" / "scenarios" / "over.yaml", b"#" * 101)
    _write(landing / "big" / "scenarios" / "default.yml", b"#" * (MAX_YAML_BYTES + 1))
    result = scan_landing(
        landing,
        tmp_path / "archive",
        "scenarios",
        LandingCursor(),
        now_ns=NOW,
        settle_seconds=0,
        max_bytes={"scenarios/.yaml": 100},
    )
    assert [a.candidate.file_name for a in result.accepted] == ["at-limit.yaml"]
    reasons = {r.candidate.file_name: (r.code, r.reason) for r in result.rejected}
    assert reasons["over.yaml"][0] == reasons["default.yml"][0] == "FILE_TOO_LARGE"
    assert "101 bytes" in reasons["over.yaml"][1]
    assert "100" in reasons["over.yaml"][1]
    assert f"{MAX_YAML_BYTES + 1} bytes" in reasons["default.yml"][1]
    assert str(MAX_YAML_BYTES) in reasons["default.yml"][1]


def test_a_file_that_grows_after_listing_is_cut_off_at_its_limit(tmp_path):
    landing = tmp_path / "landing"
    path = _write(landing / "grow" / "scenarios" / "s.yaml", b"a: 1\n")
    (candidate,) = list_candidates(landing, "scenarios")
    path.write_bytes(b"#" * 300)  # grew after the listing measured 5 bytes
    outcome = evaluate_candidate(candidate, tmp_path / "archive", max_bytes={"scenarios": 100})
    assert isinstance(outcome, Rejected)
    assert outcome.code == "FILE_TOO_LARGE"
    assert not list((tmp_path / "archive").rglob("*.part"))


def test_limits_come_from_the_settings(platform, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="crypto"):
        PlatformSettings(landing_max_bytes={"crypto": 1})
    _write(tmp_path / "landing" / "limits" / "pnl" / "p.csv", b"x" * 11)
    monkeypatch.setenv("CALCBRIDGE_LANDING_MAX_BYTES", json.dumps({"pnl/.csv": 10}))
    get_settings.cache_clear()
    try:
        evaluation = _evaluate(platform, tmp_path, "pnl")
    finally:
        monkeypatch.delenv("CALCBRIDGE_LANDING_MAX_BYTES")
        get_settings.cache_clear()
    assert evaluation.requests == []
    assert [(r.code, "11 bytes" in r.reason) for r in evaluation.rejected] == [("FILE_TOO_LARGE", True)]


def test_an_accepted_file_records_the_bytes_it_archived(tmp_path):
    landing = tmp_path / "landing"
    path = _write(landing / "size" / "clo" / "h.csv", b"abc\n")
    (candidate,) = list_candidates(landing, "clo")
    path.write_bytes(b"abcdef\n")
    outcome = evaluate_candidate(candidate, tmp_path / "archive")
    assert isinstance(outcome, Accepted)
    assert (outcome.sha256, outcome.candidate.size_bytes) == (_sha(b"abcdef\n"), 7)


def test_an_unwritable_archive_fails_the_tick_rather_than_rejecting_the_file(tmp_path):
    """A full or broken archive is the platform's fault: the file stays unseen (cursor unmoved) for the next tick."""
    _write(tmp_path / "landing" / "arch" / "clo" / "h.csv", b"h\n")
    archive = _write(tmp_path / "archive", b"a file where the archive folder should be")
    with pytest.raises(ArchiveError):
        scan_landing(tmp_path / "landing", archive, "clo", LandingCursor(), now_ns=NOW, settle_seconds=0)

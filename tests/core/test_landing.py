"""The landing zone's pure logic: cursors, validation, archiving, keys."""

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from orchestration.core.landing import (
    MAX_FILE_BYTES,
    Accepted,
    Candidate,
    LandingCursor,
    Rejected,
    copy_into_landing,
    evaluate_candidate,
    partition_key_for,
    run_key_for,
    scan_landing,
)
from orchestration.core.safe_files import archive_file

NOW = 2**62  # far future: every file has settled


def _land(root: Path, tenant: str, domain: str, name: str, content: bytes, *, arrived_s: int) -> Path:
    path = root / tenant / domain / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, ns=(arrived_s * 10**9, arrived_s * 10**9))
    return path


def _candidate(path: Path, tenant: str = "acme", domain: str = "clo") -> Candidate:
    return Candidate(
        tenant, domain, f"{tenant}/{domain}/{path.name}", path, 1, path.stat().st_size if path.exists() else 5
    )


def test_keys_come_from_tenant_and_content_hash():
    sha = hashlib.sha256(b"abc").hexdigest()
    assert sha.startswith("ba7816bf8f01cfea")  # FIPS 180-2 test vector for "abc"
    assert partition_key_for("acme", sha) == "acme.ba7816bf8f01cfea"
    assert run_key_for("acme", sha) == f"acme:{sha}"


def test_archive_is_content_addressed_and_idempotent(tmp_path):
    src = tmp_path / "Holdings.XLSX"
    src.write_bytes(b"abc")
    sha, first = archive_file(src, tmp_path / "archive", MAX_FILE_BYTES)
    again, second = archive_file(src, tmp_path / "archive", MAX_FILE_BYTES)
    assert sha == again == hashlib.sha256(b"abc").hexdigest()
    assert first == second == tmp_path / "archive" / "ba" / f"{sha}.xlsx"
    assert first.read_bytes() == b"abc"
    assert not list((tmp_path / "archive").glob("*.part"))


@pytest.mark.parametrize(
    ("name", "content", "sidecar", "code"),
    [
        ("notes.txt", b"x", None, "UNSUPPORTED_EXTENSION"),
        ("holdings", b"x", None, "UNSUPPORTED_EXTENSION"),
        ("holdings.csv", b"", None, "EMPTY_FILE"),
        ("holdings.csv", b"a,b\n", "{not json", "INVALID_SIDECAR"),
        ("holdings.csv", b"a,b\n", "[1, 2]", "INVALID_SIDECAR"),
        ("holdings.csv", b"a,b\n", json.dumps({"tags": "not-a-list"}), "INVALID_SIDECAR"),
        ("holdings.csv", b"a,b\n", json.dumps({"metadata": {"report_date": "31/12/2025"}}), "INVALID_SIDECAR"),
    ],
)
def test_bad_files_are_rejected_with_a_typed_reason(tmp_path, name, content, sidecar, code):
    path = _land(tmp_path, "acme", "clo", name, content, arrived_s=1)
    if sidecar is not None:
        (path.parent / f"{name}.meta.json").write_text(sidecar)
    outcome = evaluate_candidate(_candidate(path), tmp_path / "archive")
    assert isinstance(outcome, Rejected)
    assert outcome.code == code
    assert outcome.reason


def test_invalid_tenant_folder_and_vanished_file_are_rejected(tmp_path):
    path = _land(tmp_path, "Acme Corp", "clo", "h.csv", b"a\n", arrived_s=1)
    bad_tenant = evaluate_candidate(Candidate("Acme Corp", "clo", "x", path, 1, 2), tmp_path / "archive")
    assert isinstance(bad_tenant, Rejected)
    assert bad_tenant.code == "INVALID_TENANT"
    gone = evaluate_candidate(_candidate(tmp_path / "missing.csv"), tmp_path / "archive")
    assert isinstance(gone, Rejected)
    assert gone.code == "UNREADABLE_FILE"


def test_valid_sidecar_travels_with_its_file(tmp_path):
    path = _land(tmp_path, "acme", "clo", "h.xlsx", b"PK..", arrived_s=1)
    meta = {"name": "Q4 holdings", "tags": ["q4"], "metadata": {"report_date": "2025-12-31"}, "deal": {"notes": []}}
    (path.parent / "h.xlsx.meta.json").write_text(json.dumps(meta))
    outcome = evaluate_candidate(_candidate(path), tmp_path / "archive")
    assert isinstance(outcome, Accepted)
    assert outcome.sidecar == meta
    assert outcome.partition_key == f"acme.{hashlib.sha256(b'PK..').hexdigest()[:16]}"


def test_scan_skips_sidecars_partial_files_and_other_domains(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    _land(landing, "acme", "clo", "a.csv", b"a\n", arrived_s=100)
    _land(landing, "acme", "clo", "a.csv.meta.json", b"{}", arrived_s=100)
    _land(landing, "acme", "clo", ".hidden.csv", b"h\n", arrived_s=100)
    _land(landing, "acme", "clo", "b.csv.part", b"p\n", arrived_s=100)
    _land(landing, "globex", "equity", "other-domain.csv", b"e\n", arrived_s=100)
    result = scan_landing(landing, archive, "clo", LandingCursor(), now_ns=2**62, settle_seconds=0)
    assert [a.candidate.relative_path for a in result.accepted] == ["acme/clo/a.csv"]
    assert result.rejected == []


def test_files_younger_than_the_settle_time_wait_for_a_later_tick(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    _land(landing, "acme", "clo", "a.csv", b"a\n", arrived_s=100)  # ctime is now: it arrived just now
    now = time.time_ns()
    early = scan_landing(landing, archive, "clo", LandingCursor(), now_ns=now, settle_seconds=60)
    assert early.accepted == []
    assert early.cursor.arrived_ns == 0  # the cursor did not move past the unsettled file
    later = scan_landing(landing, archive, "clo", early.cursor, now_ns=now + 61 * 10**9, settle_seconds=60)
    assert [a.candidate.file_name for a in later.accepted] == ["a.csv"]


def test_cursor_sees_each_file_once_even_with_equal_or_older_timestamps(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    _land(landing, "acme", "clo", "a.csv", b"a\n", arrived_s=100)
    _land(landing, "acme", "clo", "b.csv", b"b\n", arrived_s=100)
    first = scan_landing(landing, archive, "clo", LandingCursor(), now_ns=NOW, settle_seconds=0)
    assert len(first.accepted) == 2
    cursor = LandingCursor.from_json(first.cursor.to_json())
    assert scan_landing(landing, archive, "clo", cursor, now_ns=NOW, settle_seconds=0).accepted == []
    # A third file with the same arrival second as the mark is still new.
    _land(landing, "acme", "clo", "c.csv", b"c\n", arrived_s=100)
    third = scan_landing(landing, archive, "clo", cursor, now_ns=NOW, settle_seconds=0)
    assert [a.candidate.file_name for a in third.accepted] == ["c.csv"]


def test_a_file_moved_in_with_an_old_mtime_is_still_seen(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    _land(landing, "acme", "clo", "new.csv", b"n\n", arrived_s=100)
    cursor = scan_landing(landing, archive, "clo", LandingCursor(), now_ns=NOW, settle_seconds=0).cursor
    old = tmp_path / "old.csv"
    old.write_bytes(b"old\n")
    os.utime(old, ns=(1, 1))  # mtime far in the past; the move sets ctime to now
    os.replace(old, landing / "acme" / "clo" / "old.csv")
    result = scan_landing(landing, archive, "clo", cursor, now_ns=2**62, settle_seconds=0)
    assert [a.candidate.file_name for a in result.accepted] == ["old.csv"]


def test_copy_into_landing_copies_sidecar_and_validates_names(tmp_path):
    src = tmp_path / "src" / "h.csv"
    src.parent.mkdir()
    src.write_text("a\n")
    (src.parent / "h.csv.meta.json").write_text("{}")
    target = copy_into_landing(src, tmp_path / "landing", "acme", "clo")
    assert target.read_text() == "a\n"
    assert (target.parent / "h.csv.meta.json").exists()
    with pytest.raises(ValueError, match="lowercase slug"):
        copy_into_landing(src, tmp_path / "landing", "ACME", "clo")
    with pytest.raises(ValueError, match="domain"):
        copy_into_landing(src, tmp_path / "landing", "acme", "crypto")

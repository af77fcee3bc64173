"""The landing zone and the archive on an object store (issue 19 part 1), against moto's S3 server on loopback.

`s3://bucket/prefix` roots: every landing rule gives what the folder scan gives for the same files, accepted
objects are copied under their sha256 into the archive prefix, runs read the archive by URL, and the cursor
lists only what is new (tails), while a bounded sweep finds names that sort before ones already seen.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path

import pytest
import s3fs
import sqlalchemy as sa
from upath import UPath

from orchestration.core import landing_log
from orchestration.core.errors import InputError
from orchestration.core.landing_objects import ObjectCursor, scan_objects
from orchestration.core.objectstore import StoreError, as_root
from orchestration.core.schema import landing_log as landing_log_table
from orchestration.core.settings import PlatformSettings

NOW = 2**62  # far future: everything has settled


def _fs() -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem()


def _logged(platform, tenant_prefix: str) -> set[tuple[str, str, str, str | None]]:
    """(domain, relative path without the tenant, status, reason code) of the rows of tenants starting so."""
    t = landing_log_table
    query = sa.select(t.c.domain, t.c.relative_path, t.c.status, t.c.reason_code).where(
        t.c.tenant_id.startswith(tenant_prefix)
    )
    with platform.warehouse.connect() as conn:
        return {(d, p.split("/", 1)[1], s, c) for d, p, s, c in conn.execute(query)}


def _evaluate(platform, landing, archive, domain="clo", cursor=None, **kwargs) -> landing_log.Evaluation:
    return landing_log.evaluate(
        platform.warehouse,
        domain,
        cursor,
        landing_root=landing,
        archive_root=archive,
        settle_seconds=0,
        now_ns=kwargs.pop("now_ns", NOW),
        **kwargs,
    )


def test_settings_take_s3_urls_and_keep_the_local_folder_as_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCBRIDGE_HOME", str(tmp_path))
    monkeypatch.setenv("CALCBRIDGE_LANDING_ROOT", "s3://drop-zone/tenants/")
    monkeypatch.setenv("CALCBRIDGE_ARCHIVE_ROOT", "s3://keep/archive")
    settings = PlatformSettings()
    assert isinstance(settings.landing, UPath)
    assert settings.landing.protocol == "s3"
    assert str(settings.landing) == "s3://drop-zone/tenants"
    assert str(settings.archive / "ab" / "x.csv") == "s3://keep/archive/ab/x.csv"
    monkeypatch.delenv("CALCBRIDGE_LANDING_ROOT")
    monkeypatch.setenv("CALCBRIDGE_ARCHIVE_ROOT", str(tmp_path / "kept"))
    local = PlatformSettings()
    assert type(local.landing) is type(tmp_path)
    assert local.landing == tmp_path / "landing"
    assert local.archive == tmp_path / "kept"
    for bad in ("gs://bucket/x", "s3://", "http://example.com/x"):
        monkeypatch.setenv("CALCBRIDGE_LANDING_ROOT", bad)
        with pytest.raises(ValueError, match="s3://"):
            PlatformSettings()


CORPUS: list[tuple[str, str, bytes, str | None]] = [
    # (tenant folder kind, name under <tenant>/clo/, bytes, sidecar text)
    ("ok", "a_good.csv", b"a,b\n1,2\n", json.dumps({"name": "Good", "tags": ["q4"]})),
    ("ok", "b_copy.csv", b"a,b\n1,2\n", None),
    ("ok", "notes.txt", b"hello", None),
    ("ok", "empty.csv", b"", None),
    ("ok", "side.csv", b"a\n1\n", "{broken"),
    ("ok", "big.csv", b"x" * 2000, None),
    ("ok", ".hidden.csv", b"a\n1\n", None),
    ("ok", "upload.csv.part", b"a\n1\n", None),
    ("ok", "sub/deep.csv", b"a\n1\n", None),
    ("ok", "x" * 246 + ".csv", b"a\n2\n", None),
    ("bad", "u.csv", b"a\n3\n", None),
]
EXPECTED = {
    ("clo", "clo/a_good.csv", "accepted", None),
    ("clo", "clo/b_copy.csv", "duplicate", "DUPLICATE_CONTENT"),
    ("clo", "clo/notes.txt", "rejected", "UNSUPPORTED_EXTENSION"),
    ("clo", "clo/empty.csv", "rejected", "EMPTY_FILE"),
    ("clo", "clo/side.csv", "rejected", "INVALID_SIDECAR"),
    ("clo", "clo/big.csv", "rejected", "FILE_TOO_LARGE"),
    ("clo", "clo/" + "x" * 246 + ".csv", "rejected", "FILE_NAME_TOO_LONG"),
    ("clo", "clo/u.csv", "rejected", "INVALID_TENANT"),
}
"""Worked from the landing rules (README "Landing files"): hidden, partial and nested files are not candidates."""


def _land_corpus(write, tenant: str, bad_tenant: str) -> None:
    for kind, name, content, sidecar in CORPUS:
        folder = f"{tenant if kind == 'ok' else bad_tenant}/clo"
        if sidecar is not None:
            write(f"{folder}/{name}.meta.json", sidecar.encode())
        write(f"{folder}/{name}", content)
        time.sleep(0.002)


def test_every_landing_rule_gives_the_same_outcome_in_a_folder_and_in_a_bucket(platform, tmp_path, bucket):
    run = uuid.uuid4().hex[:6]
    folder_root = tmp_path / "landing"

    def to_folder(relative: str, content: bytes) -> None:
        path = folder_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    _land_corpus(to_folder, f"fs-{run}", f"Fs-{run}")
    _land_corpus(lambda rel, data: _fs().pipe(f"{bucket}/landing/{rel}", data), f"s3-{run}", f"S3-{run}")
    limits = {"clo": 1000}
    folder = _evaluate(platform, folder_root, tmp_path / "archive", max_bytes=limits)
    bucket_eval = _evaluate(
        platform, as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive"), max_bytes=limits
    )
    assert _logged(platform, f"fs-{run}") | _logged(platform, f"Fs-{run}") == EXPECTED
    assert _logged(platform, f"s3-{run}") | _logged(platform, f"S3-{run}") == EXPECTED
    assert len(folder.requests) == len(bucket_eval.requests) == 1

    # The accepted object is archived under its hash, with its sidecar logged, and runs read it by URL.
    sha = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    (request,) = bucket_eval.requests
    assert request.partition_key == f"s3-{run}.{sha[:16]}"
    record = landing_log.require(platform.warehouse, "clo", request.partition_key)
    assert str(record.archive_path) == f"s3://{bucket}/archive/{sha[:2]}/{sha}.csv"
    assert _fs().cat(f"{bucket}/archive/{sha[:2]}/{sha}.csv") == b"a,b\n1,2\n"
    assert record.sidecar == {"name": "Good", "tags": ["q4"]}
    assert landing_log.read_archived(record) == b"a,b\n1,2\n"
    assert landing_log.landed_frame(record)["archive_path"].tolist() == [str(record.archive_path)]

    # The next tick from the returned cursor finds nothing new (and logs nothing twice).
    again = _evaluate(platform, as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive"))
    assert again.requests == []
    assert again.rejected == []
    nothing = _evaluate(
        platform,
        as_root(f"s3://{bucket}/landing"),
        as_root(f"s3://{bucket}/archive"),
        cursor=bucket_eval.cursor,
        sweep_keys=5,
    )
    assert nothing.requests == []
    assert nothing.rejected == []


def test_a_missing_or_altered_archived_object_is_a_typed_error(platform, bucket):
    tenant = f"arc-{uuid.uuid4().hex[:6]}"
    _fs().pipe(f"{bucket}/landing/{tenant}/equity/book.csv", b"ticker,qty\nAAA,1\n")
    evaluation = _evaluate(
        platform, as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive"), domain="equity"
    )
    record = landing_log.require(platform.warehouse, "equity", evaluation.requests[0].partition_key)
    key = str(record.archive_path).removeprefix("s3://")
    _fs().pipe(key, b"ticker,qty\nAAA,2\n")
    with pytest.raises(InputError) as corrupt:
        landing_log.read_archived(record)
    assert corrupt.value.code == "ARCHIVE_CORRUPT"
    _fs().rm(key)
    with pytest.raises(InputError) as missing:
        landing_log.read_archived(record)
    assert missing.value.code == "ARCHIVE_MISSING"


def _scan(root: UPath, archive: UPath, cursor: ObjectCursor, **kwargs):
    return scan_objects(root, archive, "covenants", cursor, now_ns=NOW, settle_seconds=0, **kwargs)


def test_a_tick_lists_only_keys_after_each_tail_and_the_sweep_finds_early_names_in_bounded_ticks(bucket):
    root, archive = as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive")
    for i in range(10):
        _fs().pipe(f"{bucket}/landing/t1/covenants/b{i:02d}.json", f'{{"n": {i}}}'.encode())
    _fs().pipe(f"{bucket}/landing/t1/covenants/b04/nested.json", b"{}")  # a sub-folder: never a candidate
    first = _scan(root, archive, ObjectCursor(), sweep_keys=4)
    assert sorted(a.candidate.file_name for a in first.accepted) == [f"b{i:02d}.json" for i in range(10)]
    assert first.cursor.tails == {"t1": "landing/t1/covenants/b09.json"}
    assert first.cursor.sweep == ("t1", "landing/t1/covenants/b03.json")
    # Keys seen are not evaluated again: what ops.landing_log would hold, here the ticks' own observations.
    logged = {(a.candidate.relative_path, a.candidate.landed_at) for a in first.accepted}

    def seen(observations):
        return {o for o in observations if o in logged}

    _fs().pipe(f"{bucket}/landing/t1/covenants/c00.json", b'{"n": "late"}')  # sorts after the tail
    _fs().pipe(f"{bucket}/landing/t1/covenants/a00.json", b'{"n": "early"}')  # sorts before everything
    # Worked by hand, keys in byte order: a00 b00 … b04.json b04/ b05 … b09 c00 ('.' < '/').
    second = _scan(root, archive, first.cursor, sweep_keys=4, seen=seen)
    assert second.listed == 1 + 1 + 4  # the tenant listing, the tail after b09 (c00), the sweep b04.json…b06
    assert [a.candidate.file_name for a in second.accepted] == ["c00.json"]
    logged |= {(a.candidate.relative_path, a.candidate.landed_at) for a in second.accepted}
    third = _scan(root, archive, second.cursor, sweep_keys=4, seen=seen)  # sweep b07 b08 b09 c00: budget spent
    assert third.accepted == []
    assert third.cursor.sweep == ("t1", "landing/t1/covenants/c00.json")
    fourth = _scan(root, archive, third.cursor, sweep_keys=4, seen=seen)  # sweep: nothing after c00, wraps
    assert fourth.accepted == []
    assert fourth.cursor.sweep is None
    fifth = _scan(root, archive, fourth.cursor, sweep_keys=4, seen=seen)  # sweep from the start: a00 b00 b01 b02
    assert [a.candidate.file_name for a in fifth.accepted] == ["a00.json"]
    assert fifth.listed == 1 + 0 + 4


def test_at_most_max_files_per_tick_in_a_bucket_and_in_a_folder_oldest_first(platform, tmp_path, bucket):
    root, archive = as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive")
    run = uuid.uuid4().hex[:6]
    for i, name in enumerate(["e.json", "d.json", "c.json", "b.json", "a.json"]):
        _fs().pipe(f"{bucket}/landing/s3-{run}/covenants/{name}", f'{{"i": {i}}}'.encode())
        path = tmp_path / f"fs-{run}" / "covenants" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f'{{"i": {i}}}'.encode())
        time.sleep(1.05)  # S3's last-modified has whole seconds: one second apart, so arrival order is known
    for landing, arch in ((root, archive), (tmp_path, tmp_path.parent / f"archive-{run}")):
        cursor, batches = None, []
        for _ in range(3):
            evaluation = _evaluate(
                platform, landing, arch, domain="covenants", cursor=cursor, max_files=3, sweep_keys=2
            )
            batches.append([r.tags["calcbridge/file_name"] for r in evaluation.requests])
            cursor = evaluation.cursor
        assert batches == [["e.json", "d.json", "c.json"], ["b.json", "a.json"], []], landing


def test_a_key_that_has_not_settled_waits_and_the_tail_stops_before_it(bucket):
    root, archive = as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive")
    _fs().pipe(f"{bucket}/landing/t1/covenants/a.json", b"{}")
    modified = _fs().info(f"{bucket}/landing/t1/covenants/a.json")["LastModified"]
    just_after = int(modified.timestamp()) * 1_000_000_000 + 1
    early = scan_objects(root, archive, "covenants", ObjectCursor(), now_ns=just_after, settle_seconds=5, sweep_keys=10)
    assert early.accepted == []
    assert early.cursor.tails == {}
    later = scan_objects(root, archive, "covenants", early.cursor, now_ns=NOW, settle_seconds=5, sweep_keys=10)
    assert [a.candidate.file_name for a in later.accepted] == ["a.json"]


def test_a_store_that_cannot_be_reached_fails_the_tick_instead_of_rejecting_files():
    closed = UPath(
        "s3://nowhere/landing",
        client_kwargs={"endpoint_url": "http://127.0.0.1:9"},
        config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 2},
    )
    with pytest.raises(StoreError):
        scan_objects(closed, Path("/nonexistent"), "clo", ObjectCursor(), now_ns=NOW, settle_seconds=0)


def test_the_demo_lands_the_same_files_in_a_bucket_as_in_a_folder(tmp_path, bucket):
    """`calcbridge demo` with an s3:// landing root: every demo file and sidecar, with the same bytes."""
    from orchestration.demo import write_demo

    folder = tmp_path / "landing"
    write_demo(folder, tmp_path / "src")
    write_demo(as_root(f"s3://{bucket}/landing"), tmp_path / "src")
    expected = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    landed = {key.removeprefix(f"{bucket}/landing/"): _fs().cat(key) for key in _fs().find(f"{bucket}/landing")}
    assert len(expected) > 20  # twenty demo files and their sidecars
    assert landed == expected


def test_a_tick_past_its_time_budget_archives_no_further_file_in_a_bucket_or_a_folder(platform, tmp_path, bucket):
    """With no time left a tick still archives one file (progress), and the cursor stops right after it."""
    run = uuid.uuid4().hex[:6]
    for name in ("a.json", "b.json", "c.json"):
        _fs().pipe(f"{bucket}/landing/s3-{run}/covenants/{name}", name.encode())
        path = tmp_path / "landing" / f"fs-{run}" / "covenants" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
    stores = (
        (as_root(f"s3://{bucket}/landing"), as_root(f"s3://{bucket}/archive")),
        (tmp_path / "landing", tmp_path / "archive"),
    )
    for landing, archive in stores:
        cursor, batches = None, []
        for _ in range(4):
            evaluation = _evaluate(
                platform, landing, archive, domain="covenants", cursor=cursor, tick_seconds=1e-9, sweep_keys=10
            )
            batches.append([r.tags["calcbridge/file_name"] for r in evaluation.requests])
            cursor = evaluation.cursor
        assert batches == [["a.json"], ["b.json"], ["c.json"], []], landing

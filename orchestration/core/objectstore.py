"""Object-store roots (`s3://bucket/prefix`) for the landing zone and the archive: list, read, write.

A root is a universal-pathlib `UPath` over s3fs. Endpoint, credentials and region come from the usual AWS
variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, profiles), which
botocore reads itself. A local folder never comes here: `as_root` gives it back as a plain `Path`.

Listing is ListObjectsV2 with a `/` delimiter, so one call sees one folder level and never what lies below it.
What the landing scan relies on (S3, MinIO and moto all give it): keys come back in ascending UTF-8 byte order,
`StartAfter` resumes strictly after a key, and a completed PUT is listed and readable at once (S3's strong
read-after-write consistency since 2020). Pure: no Dagster.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from upath import UPath

from orchestration.core.errors import InputError

OBJECT_SCHEMES = ("s3://",)
PROTOCOLS = ("s3", "s3a")
SMALL_OBJECT_BYTES = 8 * 1024 * 1024
"""Objects up to this size are read in one GET; larger ones are streamed (a HEAD, then ranged GETs)."""
PAGE_KEYS = 1000
"""ListObjectsV2's own page size: one request lists this many keys."""
FILE_TOO_LARGE = "FILE_TOO_LARGE"


class StoreError(RuntimeError):
    """The object store could not be reached or refused a listing: a platform fault, so the tick fails and retries."""


def is_object_url(text: str) -> bool:
    """Whether a configured root names an object store rather than a folder."""
    return text.startswith(OBJECT_SCHEMES)


def as_root(value: str | os.PathLike[str]) -> Path | UPath:
    """A configured root: `UPath` for `s3://bucket/prefix`, a plain `Path` for anything else."""
    text = os.fspath(value)
    return UPath(text.rstrip("/")) if is_object_url(text) else Path(text)


def is_object_root(root: object) -> bool:
    """Whether `root` (a `Path` or `UPath`) lives in an object store."""
    return getattr(root, "protocol", None) in PROTOCOLS


@dataclass(frozen=True)
class StoredObject:
    """One listed object: its key in the bucket, size and last-modified time (UTC)."""

    key: str
    size: int
    last_modified: dt.datetime

    @property
    def modified_ns(self) -> int:
        return int(self.last_modified.timestamp()) * 1_000_000_000 + self.last_modified.microsecond * 1000


def bucket_and_key(root: UPath) -> tuple[str, str]:
    """(bucket, key prefix) of a root; the prefix is empty or ends with `/`."""
    bucket, _, key = root.path.partition("/")
    key = key.strip("/")
    return bucket, f"{key}/" if key else ""


def _call(root: UPath, method: str, **kwargs: Any) -> dict[str, Any]:
    """One S3 API call through the root's s3fs client; anything but a missing or forbidden key is a StoreError."""
    try:
        return root.fs.call_s3(method, **kwargs)
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as exc:  # connection refused, 5xx, bad credentials: the store's fault, not a file's
        where = f"s3://{kwargs.get('Bucket')}/{kwargs.get('Prefix', kwargs.get('Key', ''))}"
        raise StoreError(f"{method} on {where}: {exc}") from exc


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def list_level(
    root: UPath, prefix: str, *, start_after: str | None = None, max_keys: int | None = None
) -> Iterator[StoredObject | str]:
    """Objects and sub-prefixes directly under `prefix`, in key order, after `start_after`; at most `max_keys`.

    Objects come as `StoredObject`, sub-folders as their prefix (`str`, ending in `/`). Pages are fetched as
    the iterator is consumed, so a caller that stops early lists no further.
    """
    bucket, _ = bucket_and_key(root)
    token: str | None = None
    left = max_keys
    while left is None or left > 0:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
        kwargs["MaxKeys"] = PAGE_KEYS if left is None else min(PAGE_KEYS, left)
        if token:
            kwargs["ContinuationToken"] = token
        elif start_after:
            kwargs["StartAfter"] = start_after
        page = _call(root, "list_objects_v2", **kwargs)
        found: list[StoredObject | str] = [
            StoredObject(o["Key"], int(o["Size"]), _utc(o["LastModified"])) for o in page.get("Contents", [])
        ]
        found += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        found.sort(key=lambda item: item if isinstance(item, str) else item.key)
        yield from found
        if left is not None:
            left -= len(found)
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return


def object_path(root: UPath, key: str) -> UPath:
    """The `UPath` of a key in the root's bucket."""
    bucket, _ = bucket_and_key(root)
    return UPath(f"{root.protocol}://{bucket}/{key}")


def open_object(path: UPath) -> IO[bytes]:
    """A landed object opened for streaming reads (FileNotFoundError when it is gone)."""
    return path.open("rb")


def read_object(path: UPath, *, limit: int, where: str) -> bytes:
    """All of an object in one ranged GET, refused (FILE_TOO_LARGE) past `limit` bytes.

    FileNotFoundError when absent: a plain GET, no HEAD, and no listing to ask whether the key is a folder.
    """
    try:
        data: bytes = path.fs.cat_file(path.path, start=0, end=limit + 1)
    except OSError as exc:
        if not _empty_range(exc):
            raise
        data = b""  # S3 answers a range on an empty object with 416 InvalidRange
    if len(data) > limit:
        raise InputError(FILE_TOO_LARGE, f"more than {limit} bytes", where)
    return data


def _empty_range(exc: BaseException) -> bool:
    """Whether a ranged GET failed only because the object holds no bytes (416 InvalidRange)."""
    cause = exc.__cause__
    error = getattr(cause, "response", {}).get("Error", {}) if cause is not None else {}
    return error.get("Code") == "InvalidRange"


def write_object(path: UPath, source: IO[bytes]) -> None:
    """Upload `source` (from its current position) as `path`; S3 shows the object only once it is complete."""
    with path.open("wb") as sink:
        while chunk := source.read(8 << 20):
            sink.write(chunk)

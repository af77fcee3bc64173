"""Download headers: a Content-Disposition any file name survives (RFC 6266 with an RFC 5987 `filename*`)."""

from __future__ import annotations

from urllib.parse import quote


def attachment(file_name: str) -> str:
    """`attachment` with an ASCII `filename` fallback, plus the exact UTF-8 name as `filename*` when they differ.

    Header values are Latin-1 on the wire, so a name like `Überblick_2026.pdf` or one with a quote or a line break
    cannot go into `filename="…"` as it is; browsers prefer `filename*` and fall back to the ASCII one.
    """
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in file_name) or "download"
    value = f'attachment; filename="{fallback}"'
    if fallback != file_name:
        value += f"; filename*=UTF-8''{quote(file_name, safe='')}"
    return value

"""Stable identifiers for CLO workbooks and holdings.

A workbook id depends only on the tenant and the file's content (sha256), so re-landing the same bytes
gives the same id; a holding id depends on the workbook, the sheet and the row, so it is stable across
re-materializations of the same partition.
"""

import hashlib
import uuid

NAMESPACE = uuid.UUID("5b0d6f0e-3c1a-4d6e-9a52-c10b0c1a0c10")


_NAMESPACE_BYTES = NAMESPACE.bytes


def _uuid5(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))` without building UUID objects (holdings need tens of thousands)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8"), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def workbook_id(tenant_id: str, sha256: str) -> str:
    """The workbook's UUID: uuid5 of ``"{tenant_id}:{sha256}"`` in the CalcBridge namespace."""
    return str(uuid.uuid5(NAMESPACE, f"{tenant_id}:{sha256}"))


def holding_id(workbook_id: str, sheet: str, row_index: int) -> str:
    """The holding's UUID: uuid5 of ``"{workbook_id}:{sheet}:{row_index}"`` in the CalcBridge namespace."""
    return _uuid5(f"{workbook_id}:{sheet}:{row_index}")


def sheet_id(workbook_id: str, sheet_name: str) -> str:
    """The sheet's UUID: uuid5 of ``"{workbook_id}:sheet:{sheet_name}"`` in the CalcBridge namespace."""
    return str(uuid.uuid5(NAMESPACE, f"{workbook_id}:sheet:{sheet_name}"))

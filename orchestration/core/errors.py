"""Typed input errors: a code, a human message and where in the input the problem is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class InputError(Exception):
    """Bad input: never retried; the run fails with this code, message and location."""

    code: str
    message: str
    where: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message} (at {self.where})"

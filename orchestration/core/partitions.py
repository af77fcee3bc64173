"""Partitions as module constants: one dynamic partition per landed file, per domain."""

from __future__ import annotations

import dagster as dg

from orchestration.core.settings import DOMAINS

FILE_PARTITIONS: dict[str, dg.DynamicPartitionsDefinition] = {
    domain: dg.DynamicPartitionsDefinition(name=f"{domain}_files") for domain in DOMAINS
}
"""Keys are `<tenant>.<sha256[:16]>`; the landing sensors add them, analysts re-run them."""


def file_job_name(domain: str) -> str:
    """The job that runs everything one file landed in `domain` produces (the landing sensor's target)."""
    return f"{domain}_files_job"

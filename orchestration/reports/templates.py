"""Report templates: YAML files in assets_config/reports/, one per template (seed 000 GET /reports/templates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.core.config import read_yaml
from orchestration.core.errors import InputError
from orchestration.core.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "assets_config" / "reports"
SECTIONS: tuple[str, ...] = ("summary", "compliance", "holdings", "transactions", "reconciliation")
FORMATS: tuple[str, ...] = ("pdf", "xlsx")


@dataclass(frozen=True)
class ReportTemplate:
    """A template: which sections, in which formats, with which options."""

    id: str
    name: str
    description: str
    formats: tuple[str, ...]
    sections: tuple[str, ...]
    schedule: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The template as the API lists it."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "formats": list(self.formats),
            "sections": list(self.sections),
            "schedule": self.schedule,
            "options": dict(self.options),
        }


def parse_template(raw: Any, where: str) -> ReportTemplate:
    """Validate one template document."""
    if not isinstance(raw, dict) or not raw.get("id"):
        raise InputError("INVALID_REPORT_TEMPLATE", "a template is a mapping with an id", where)
    sections = tuple(raw.get("sections") or SECTIONS)
    formats = tuple(raw.get("formats") or FORMATS)
    unknown = [s for s in sections if s not in SECTIONS] + [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError("INVALID_REPORT_TEMPLATE", f"unknown sections/formats {unknown}", where)
    return ReportTemplate(
        id=str(raw["id"]),
        name=str(raw.get("name", raw["id"])),
        description=str(raw.get("description", "")).strip(),
        formats=formats,
        sections=sections,
        schedule=raw.get("schedule"),
        options=dict(raw.get("options") or {}),
    )


def load_templates(directory: Path = TEMPLATES_DIR) -> dict[str, ReportTemplate]:
    """Every template in the folder, by id (sorted by file name)."""
    templates: dict[str, ReportTemplate] = {}
    for path in sorted(directory.glob("*.y*ml")):
        template = parse_template(read_yaml(path, code="INVALID_REPORT_TEMPLATE"), str(path))
        templates[template.id] = template
    return templates

"""Report templates (seed 000 GET /reports/templates): one YAML file each in assets_config/reports/, pydantic.

A bad file is an InputError INVALID_REPORT_TEMPLATE naming the file and the field (core.config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestration.core.config import load_model, read_yaml
from orchestration.core.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "assets_config" / "reports"
INVALID_REPORT_TEMPLATE = "INVALID_REPORT_TEMPLATE"
Section = Literal["summary", "compliance", "holdings", "transactions", "reconciliation"]
Format = Literal["pdf", "xlsx"]
SECTIONS: tuple[str, ...] = get_args(Section)
FORMATS: tuple[str, ...] = get_args(Format)


class ReportTemplate(BaseModel):
    """A template: which sections, in which formats, with which options (absent lists mean all of them)."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    name: str = ""
    description: str = ""
    formats: tuple[Format, ...] = FORMATS  # type: ignore[assignment]
    sections: tuple[Section, ...] = SECTIONS  # type: ignore[assignment]
    schedule: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("formats", "sections", "options", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any, info: Any) -> Any:
        if value:
            return value
        return {"formats": FORMATS, "sections": SECTIONS, "options": {}}[info.field_name]

    @field_validator("description", mode="after")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _name_defaults_to_id(self) -> ReportTemplate:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self

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
    """Validate one template document (InputError INVALID_REPORT_TEMPLATE at `where: field`)."""
    return load_model(ReportTemplate, raw, code=INVALID_REPORT_TEMPLATE, where=where)


def load_templates(directory: Path = TEMPLATES_DIR) -> dict[str, ReportTemplate]:
    """Every template in the folder, by id (sorted by file name)."""
    templates: dict[str, ReportTemplate] = {}
    for path in sorted(directory.glob("*.y*ml")):
        template = parse_template(read_yaml(path, code=INVALID_REPORT_TEMPLATE), str(path))
        templates[template.id] = template
    return templates

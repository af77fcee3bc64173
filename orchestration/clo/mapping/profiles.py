"""Mapping profiles and header-alias dictionaries, loaded from assets_config/mappings/ (cached per folder)."""

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from orchestration.clo import normalize as nz
from orchestration.clo.mapping.fields import (
    ALIASES_DIR,
    CANONICAL_FIELDS,
    MAPPINGS_DIR,
    AliasProfile,
    FieldMapping,
    MappingProfile,
    canonical_sha256,
)
from orchestration.core.config import ConfigError, read_yaml
from orchestration.core.errors import InputError

MAPPING_PROFILE_INVALID = "MAPPING_PROFILE_INVALID"


def _document(path: Path) -> dict:
    """A profile or alias file's mapping (empty file: empty mapping); ConfigError MAPPING_PROFILE_INVALID otherwise."""
    doc = read_yaml(path, code=MAPPING_PROFILE_INVALID) or {}
    if not isinstance(doc, dict):
        raise ConfigError(MAPPING_PROFILE_INVALID, "expected a mapping at the top level", str(path))
    return doc


@lru_cache(maxsize=4)
def _load_profiles(directory: Path) -> dict[str, MappingProfile]:
    profiles: dict[str, MappingProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = _document(path)
        mappings = {
            name: FieldMapping(source=str(spec["source"]), transform=spec.get("transform"))
            for name, spec in (doc.get("mappings") or {}).items()
        }
        unknown = sorted(set(mappings) - set(CANONICAL_FIELDS))
        if unknown:
            raise ConfigError(MAPPING_PROFILE_INVALID, f"unknown canonical fields {unknown}", f"{path}: mappings")
        bad = sorted({m.transform for m in mappings.values() if m.transform and m.transform not in nz.TRANSFORMS})
        if bad:
            raise ConfigError(MAPPING_PROFILE_INVALID, f"unknown transforms {bad}", f"{path}: mappings")
        profile = MappingProfile(
            id=str(doc.get("id") or path.stem),
            name=str(doc.get("name") or path.stem),
            description=str(doc.get("description") or ""),
            version=int(doc.get("version") or 1),
            mappings=mappings,
            alias_profile=doc.get("alias_profile"),
            validation_rules=tuple(doc.get("validation_rules") or ()),
            sheet=doc.get("sheet"),
            created_at=str(doc["created_at"]) if doc.get("created_at") else None,
            updated_at=str(doc["updated_at"]) if doc.get("updated_at") else None,
            definition_sha256=canonical_sha256(doc),
        )
        profiles[profile.id] = profile
    return profiles


def load_profiles(directory: Path | None = None) -> dict[str, MappingProfile]:
    """Every mapping profile in assets_config/mappings/*.yaml, by id."""
    return _load_profiles(directory or MAPPINGS_DIR)


@lru_cache(maxsize=4)
def _load_aliases(directory: Path) -> dict[str, AliasProfile]:
    aliases: dict[str, AliasProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = _document(path)
        fields = {name: tuple(str(a) for a in values or ()) for name, values in (doc.get("fields") or {}).items()}
        aliases[str(doc.get("name") or path.stem)] = AliasProfile(
            name=str(doc.get("name") or path.stem), description=str(doc.get("description") or ""), fields=fields
        )
    return aliases


def load_aliases(directory: Path | None = None) -> dict[str, AliasProfile]:
    """Every alias dictionary in assets_config/mappings/aliases/*.yaml, by name."""
    return _load_aliases(directory or ALIASES_DIR)


def _alias_index(alias_names: Sequence[str | None]) -> dict[str, str]:
    """Normalised alias → field; the named dictionaries first, then `default` and all others."""
    aliases = load_aliases()
    order = [n for n in alias_names if n and n in aliases]
    order += ["default"] + [n for n in aliases if n not in order and n != "default"]
    index: dict[str, str] = {f: f for f in CANONICAL_FIELDS}
    index.update({nz.normalize_header(f): f for f in CANONICAL_FIELDS})
    for name in order:
        profile = aliases.get(name)
        if profile is None:
            continue
        for field_name, values in profile.fields.items():
            for value in values:
                index.setdefault(nz.normalize_header(value), field_name)
    return index


def resolve_profile(
    file_name: str, profile_id: str | None, profiles: dict[str, MappingProfile] | None = None
) -> MappingProfile | None:
    """The profile named by `profile_id` (None without one); MAPPING_PROFILE_UNKNOWN for an id not catalogued."""
    catalogue = profiles if profiles is not None else load_profiles()
    if not profile_id:
        return None
    profile = catalogue.get(profile_id)
    if profile is None:
        raise InputError(
            "MAPPING_PROFILE_UNKNOWN",
            f"mapping profile {profile_id!r} does not exist; known: {sorted(catalogue)}",
            file_name,
        )
    return profile


def header_index(profile: MappingProfile | None) -> dict[str, str]:
    """Normalised header → field: the alias dictionaries (the profile's first), then the profile's source columns."""
    index = _alias_index([profile.alias_profile if profile else None])
    if profile:
        for field_name, mapping in profile.mappings.items():
            index[nz.normalize_header(mapping.source)] = field_name
    return index

"""The one loader of `assets_config/` YAML: read a file, validate it with a pydantic model, typed errors.

Every domain's `config.py` declares pydantic models over its YAML and loads them with `read_yaml` and
`load_model`, so a broken file or a wrong field always fails the same way: an `InputError` with the domain's
code, a message, and where — the file and the field path (`profiles.default.par_amount.absolute`,
`rules[0].kind`). Environment knobs stay pydantic-settings (`clo/config.py`, `core/settings.py`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orchestration.core.errors import InputError
from orchestration.core.safe_parse import FILE_TOO_LARGE, MAX_YAML_BYTES, load_yaml

ModelT = TypeVar("ModelT", bound=BaseModel)

CONFIG_INVALID = "CONFIG_INVALID"
"""The code of an unreadable or invalid configuration file when the domain names none."""


class ConfigError(InputError, ValueError):
    """A configuration file that cannot be read or does not validate.

    An `InputError` (code, message, where), and also a `ValueError` as pydantic's `ValidationError` is, so code
    that caught the validation error of a config model keeps catching it.
    """


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a path: `("rules", 0, "kind")` → `rules[0].kind`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def read_yaml(path: Path, *, code: str = CONFIG_INVALID, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """The parsed YAML document of `path` (UTF-8; an empty file is None); unreadable or invalid → ConfigError.

    Parsed by the bounded loader of `core.safe_parse`: over `max_bytes` is FILE_TOO_LARGE; too deep, too many
    aliases or an alias bomb is `code`, as a syntax error is.
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(max_bytes + 1)  # never more than the limit allows, whatever the file holds
    except OSError as error:
        raise ConfigError(code, f"cannot read the file: {error}", str(path)) from error
    if len(data) > max_bytes:
        raise ConfigError(
            FILE_TOO_LARGE, f"{max(size, len(data))} bytes exceeds the limit of {max_bytes} bytes", str(path)
        )
    try:
        return load_yaml(data, code=code, where=str(path), max_bytes=max_bytes)
    except InputError as error:
        raise ConfigError(error.code, error.message, error.where, error.details) from error


def _message(error: dict[str, Any]) -> str:
    return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")


def load_model(model_cls: type[ModelT], data: Any, *, code: str, where: str, separator: str = ": ") -> ModelT:
    """`data` validated as `model_cls`; a validation failure is a ConfigError with `code`.

    Its `where` is `where`, then `separator` and the field path of the first error (nothing added for an error of
    the whole document); its details list every error as {"field", "message", "type"}.
    """
    try:
        return model_cls.model_validate(data)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_input=False)
        first = errors[0]
        path = field_path(first["loc"])
        message = _message(dict(first)) + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
        details = {
            "errors": [{"field": field_path(e["loc"]), "message": _message(dict(e)), "type": e["type"]} for e in errors]
        }
        raise ConfigError(code, message, f"{where}{separator}{path}" if path else where, details) from error

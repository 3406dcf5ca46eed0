"""Reading the environment: one function per kind of value, each refusing nonsense with a
message that names the variable and says what it takes.

Secrets (`secret`) may also come from `<NAME>_FILE`, a path whose content is the value: how
Docker and Kubernetes hand secrets to a container. Every name read is recorded in `READ`,
so a test can check that the README documents each one.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

READ: set[str] = set()
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _raw(name: str) -> str | None:
    """The value as set, or None when the variable is unset or empty."""
    READ.add(name)
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def text(name: str, default: str = "") -> str:
    return _raw(name) or default


def secret(name: str, default: str = "") -> str:
    """`name`, or the content of the file `name_FILE` names; never both."""
    value, file_name = _raw(name), _raw(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name is None:
        return value or default
    try:
        content = Path(file_name).read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE={file_name!r} cannot be read ({error.strerror}); give the path of a "
            "readable file holding the value."
        ) from None
    if not content:
        raise ImproperlyConfigured(f"{name}_FILE={file_name!r} is an empty file.")
    return content


def boolean(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def _bounded(name: str, raw: str, value: float, minimum: float | None, maximum: float | None):
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} is too small; it must be at least {minimum:g}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={raw!r} is too large; it must be at most {maximum:g}.")
    return value


def integer(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    return int(_bounded(name, raw, value, minimum, maximum))


def number(
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> float:
    """A finite number; `minimum` and `maximum` are inclusive, `above` is not."""
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number.")
    if above is not None and value <= above:
        raise ImproperlyConfigured(f"{name}={raw!r} is too small; it must be above {above:g}.")
    return _bounded(name, raw, value, minimum, maximum)


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _raw(name)
    if raw is None:
        return default
    for option in choices:
        if raw.lower() == option.lower():
            return option
    raise ImproperlyConfigured(f"{name}={raw!r} is not one of: {', '.join(choices)}.")


def items(name: str, default: str) -> list[str]:
    """A comma-separated list."""
    return [item.strip() for item in (_raw(name) or default).split(",") if item.strip()]


def path(name: str, default: Path) -> Path:
    return Path(_raw(name) or default).expanduser().resolve()

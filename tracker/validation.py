"""Field checks shared by forms, imports and the CLI, so one rule gives one message everywhere."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pycountry
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from tracker.errors import ValidationError

M = TypeVar("M", bound=BaseModel)

EARLIEST_DATE = date(1900, 1, 1)
# C0 controls other than tab and line breaks, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_http_url(value: str | None, *, required: bool = False) -> str | None:
    """Return a problem with ``value`` as a web address, or None if it is fine."""
    if value is None or not value.strip():
        return "a URL is required" if required else None
    text = value.strip()
    if len(text) > 2000:
        return "the URL is longer than 2,000 characters"
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// addresses are accepted"
    if not parts.hostname:
        return "the URL has no host name"
    if any(ch.isspace() for ch in text):
        return "the URL contains spaces"
    if _CONTROL.search(text):
        return "the URL contains control characters (such as NUL)"
    return None


def check_date(value: date | None, *, today: date, field_label: str = "date") -> str | None:
    if value is None:
        return f"the {field_label} is required"
    if value > today:
        return f"the {field_label} is in the future"
    if value < EARLIEST_DATE:
        return f"the {field_label} is before 1900"
    return None


def check_length(value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        return f"at most {limit:,} characters (got {len(value):,})"
    if value is not None and _CONTROL.search(value):
        # PostgreSQL refuses NUL in text outright; the other controls are never meant either
        # (found by tests/reliability/test_rel_fuzz.py).
        return "contains control characters (such as NUL); remove them"
    return None


def check_language(code: str | None) -> str | None:
    """ISO 639-1 (two letters) or 639-3 (three letters) codes."""
    if code is None or not code.strip():
        return None
    text = code.strip().lower()
    found = (
        pycountry.languages.get(alpha_2=text)
        if len(text) == 2
        else pycountry.languages.get(alpha_3=text)
        if len(text) == 3
        else None
    )
    if found is None:
        return f"{code!r} is not an ISO 639 language code (such as en, ur, fa, he)"
    return None


def blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None


def parse_input(model: type[M], data: dict[str, Any]) -> M:
    """Build an input schema, turning pydantic's errors into our field → message form."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "input"
            problems.setdefault(name, _friendly(error))
        raise ValidationError(problems) from None


def _friendly(error: Any) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length'):,} characters"
    if kind == "missing":
        return "required"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "a whole number is required"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return "a date (YYYY-MM-DD) is required"
    return str(error.get("msg", "invalid"))

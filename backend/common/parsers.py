"""JSON bodies, refused as a 400 where a hostile value would otherwise end in a 500
(docs/security.md, "Hostile input").

- Nesting deeper than `MAX_JSON_DEPTH`: `json` raises `RecursionError` near Python's recursion
  limit, and anything that walks a deep value recursively (DRF's fields, the renderer) does too.
- NUL anywhere, in a key or a value: PostgreSQL text cannot hold it.
- Lone UTF-16 surrogates (`"\\ud800"`): valid JSON, but the string cannot be encoded to UTF-8
  for the database.
- Numbers beyond a float (`1e400` parses as infinity, which no JSON renderer can write back).

Strings are refused with the codes DRF's own `CharField` uses for the same characters
(`null_characters_not_allowed`, `surrogate_characters_not_allowed`), on the value's JSON path
(`data.reference`, `languages.3`), so the error is the same whichever layer sees it first.
"""

import json
import math
import re
from collections.abc import Iterator

from django.conf import settings
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.parsers import JSONParser

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def forbidden_character(text: str) -> ErrorDetail | None:
    """The error for a NUL or a lone surrogate in `text`, or None when it has neither."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return ErrorDetail("Null characters are not allowed.", code="null_characters_not_allowed")
    return ErrorDetail(
        f"Surrogate characters are not allowed: U+{ord(found.group()):X}.",
        code="surrogate_characters_not_allowed",
    )


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


def load_json(raw: bytes, encoding: str = "utf-8"):
    """Parse a request body, or raise the 400 this module's docstring describes."""
    try:
        data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, LookupError) as exc:  # bad JSON, bad bytes, unknown charset
        raise ParseError(f"JSON parse error - {exc}") from exc
    check_json(data)
    return data


def _too_deep() -> ParseError:
    depth = settings.MAX_JSON_DEPTH
    return ParseError(f"JSON nested deeper than {depth} levels.", code="json_too_deep")


def _children(value: dict | list) -> Iterator[tuple[object, object]]:
    return iter(value.items()) if isinstance(value, dict) else enumerate(value)


def check_json(data) -> None:
    """Walk a parsed value without recursion and refuse the first thing the API cannot take."""
    max_depth = settings.MAX_JSON_DEPTH
    stack: list[tuple[object, int, tuple]] = [(data, 0, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, float) and not math.isfinite(value):
            raise _error(path, ErrorDetail("Number out of range.", code="number_out_of_range"))
        elif isinstance(value, dict | list):
            if depth >= max_depth:
                raise _too_deep()
            for key, item in _children(value):
                if isinstance(key, str):
                    _check_text(key, path)
                stack.append((item, depth + 1, (*path, key)))


def _check_text(text: str, path: tuple) -> None:
    error = forbidden_character(text)
    if error is not None:
        raise _error(path, error)


def _error(path: tuple, error: ErrorDetail) -> Exception:
    if not path:
        return ParseError(str(error), code=error.code)
    return ValidationError({".".join(str(part) for part in path): [error]})


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with the limits above (`DEFAULT_PARSER_CLASSES`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return load_json(stream.read(), encoding)

"""Every error `code` the API can answer, read from the code that raises it.

The codes are scattered on purpose (each service names its own refusals), so nothing lists them
by hand: this module reads our source with `ast` and collects

- exception classes' `default_code` (with `status_code` and `default_detail`, inherited along
  the class hierarchy from DRF's and our base classes),
- string `code=` / `violation_error_code=` arguments (`field_error(..., code=...)`,
  `ErrorDetail(..., code=...)`, `ConflictError(..., code=...)`, model constraints, ...),
- `error_json_response(status, code, ...)` calls (answers given outside DRF),
- `Problem(code, detail)` entries of /readyz's 503 (common.readiness),

plus the codes DRF's own exceptions and serializer fields and Django's password validators use.
The OpenAPI schema enumerates them (common.openapi_contract) and docs/api-guide.md tables them
(`manage.py error_codes`), so neither can drift from the code.
"""

import ast
import inspect
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core import validators as django_validators
from django.db.models import fields as model_fields
from django.forms import fields as forms_fields
from django.forms import models as forms_models
from django.utils.module_loading import import_string
from rest_framework import exceptions as drf_exceptions
from rest_framework import fields as drf_fields
from rest_framework import relations as drf_relations
from rest_framework import serializers as drf_serializers
from rest_framework import validators as drf_validators

BACKEND = Path(__file__).resolve().parents[1]

# Statuses of the base classes our exceptions derive from, and of the helpers that raise one.
BASE_STATUS = {
    "APIException": 500,
    "DomainError": 400,
    "ConflictError": 409,
    "UnprocessableError": 422,
    "ValidationError": 400,
    "ParseError": 400,
    "AuthenticationFailed": 401,
    "NotAuthenticated": 401,
    "PermissionDenied": 403,
    "NotFound": 404,
    "Throttled": 429,
}
CALL_STATUS = {
    **BASE_STATUS,
    "field_error": 400,
    "bad_param": 400,
    "ErrorDetail": 400,
    "RegexValidator": 400,
}
# A model constraint's violation is answered by the service that catches it, as a conflict.
CONSTRAINT_STATUS = 409


@dataclass
class ErrorCode:
    code: str
    statuses: set[int] = field(default_factory=set)
    detail: str = ""
    where: set[str] = field(default_factory=set)

    def merge(self, status: int | None, detail: str, where: str) -> None:
        if status:
            self.statuses.add(status)
        if detail and not self.detail:
            self.detail = detail
        if where:
            self.where.add(where)


def _string(node: ast.AST | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: keep its literal parts
        return "".join(
            part.value if isinstance(part, ast.Constant) else "…" for part in node.values
        )
    return ""


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _status_literal(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    name = _name(node) if node is not None else ""
    if name.startswith("HTTP_"):
        return int(name.split("_")[1])
    return None


@dataclass
class _Class:
    bases: list[str]
    code: str = ""
    status: int | None = None
    detail: str = ""
    where: str = ""


def _parse(path: Path) -> tuple[str, ast.AST]:
    where = path.relative_to(BACKEND).parts[0] if path.is_relative_to(BACKEND) else "framework"
    return where, ast.parse(path.read_text(), filename=str(path))


def _scan_classes(where: str, tree: ast.AST, classes: dict[str, "_Class"]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            info = _Class(bases=[_name(base) for base in node.bases], where=where)
            for statement in node.body:
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target = _name(statement.targets[0])
                    # DRF exceptions name it default_code, Django's validators code
                    if target == "default_code" or (
                        target == "code" and node.name.endswith("Validator")
                    ):
                        info.code = _string(statement.value)
                    elif target == "status_code":
                        info.status = _status_literal(statement.value)
                    elif target == "default_detail":
                        info.detail = _string(statement.value)
            classes[node.name] = info


def _scan_calls(
    where: str, tree: ast.AST, classes: dict[str, "_Class"], found: dict[str, ErrorCode]
) -> None:
    constants = {
        statement.targets[0].id: _string(statement.value)
        for statement in getattr(tree, "body", [])
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _string(statement.value)
    }

    def string(node: ast.AST | None) -> str:
        if isinstance(node, ast.Name):
            return constants.get(node.id, "")
        return _string(node)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _name(node.func)
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            # helpers whose first argument is the field (attr), the second the detail
            first = 1 if callee in ("field_error", "bad_param") else 0
            detail = next((_string(arg) for arg in node.args[first:] if _string(arg)), "")
            if callee == "error_json_response" and len(node.args) >= 2:
                code = _string(node.args[1])
                if code:
                    status = _status_literal(node.args[0])
                    detail = _string(node.args[2]) if len(node.args) > 2 else ""
                    found.setdefault(code, ErrorCode(code)).merge(status, detail, where)
            if callee == "Problem" and len(node.args) == 2 and _string(node.args[0]):
                # common.readiness: each problem is an entry of /readyz's 503
                code = _string(node.args[0])
                found.setdefault(code, ErrorCode(code)).merge(503, _string(node.args[1]), where)
            if code := string(keywords.get("violation_error_code")):
                # its status comes from the service that catches the violation, if any
                detail = _string(keywords.get("violation_error_message"))
                found.setdefault(code, ErrorCode(code)).merge(None, detail, where)
            if code := string(keywords.get("code")):
                status = CALL_STATUS.get(callee)
                if status is None and callee in classes:
                    status = _class_status(callee, classes)
                found.setdefault(code, ErrorCode(code)).merge(status or 400, detail, where)
            # common.date_windows.Window(too_late=(code, detail)): a ValidationError's code
            too_late = keywords.get("too_late")
            if isinstance(too_late, ast.Tuple) and len(too_late.elts) == 2:
                code, detail = (_string(element) for element in too_late.elts)
                if code:
                    found.setdefault(code, ErrorCode(code)).merge(400, detail, where)


def _class_status(name: str, classes: dict[str, _Class]) -> int | None:
    seen = set()
    while name and name not in seen:
        seen.add(name)
        info = classes.get(name)
        if info is None:
            return BASE_STATUS.get(name)
        if info.status:
            return info.status
        name = next((base for base in info.bases if base in classes or base in BASE_STATUS), "")
    return None


def _source_files() -> list[Path]:
    files = [
        path
        for path in sorted(BACKEND.rglob("*.py"))
        if "migrations" not in path.parts and path.name != "error_catalogue.py"
    ]
    # The password validators in force answer their own codes on every password field.
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        files.append(Path(inspect.getfile(import_string(validator["NAME"]))))
    # DRF's and Django's validators (`unique`, `max_value`, ...) raise with code= or name their
    # code in the class, like our services do; model validation (full_clean) runs Django's.
    files.append(Path(inspect.getfile(drf_validators)))
    files.append(Path(inspect.getfile(django_validators)))
    return list(dict.fromkeys(files))


def _framework_codes(found: dict[str, ErrorCode]) -> None:
    for exception in vars(drf_exceptions).values():
        if inspect.isclass(exception) and issubclass(exception, drf_exceptions.APIException):
            code = exception.default_code
            if code != "error":
                found.setdefault(code, ErrorCode(code)).merge(
                    exception.status_code, str(exception.default_detail), "framework"
                )
    # Serializer and form field codes (`required`, `max_length`, ...; django-filter validates
    # query parameters with Django's form fields): a 400 on the field (attr).
    field_classes = (drf_fields.Field, forms_fields.Field, model_fields.Field)
    modules = (drf_fields, drf_relations, drf_serializers, forms_fields, forms_models, model_fields)
    for module in modules:
        for klass in vars(module).values():
            if inspect.isclass(klass) and issubclass(klass, field_classes):
                for code, message in getattr(klass, "default_error_messages", {}).items():
                    found.setdefault(code, ErrorCode(code)).merge(400, str(message), "framework")


@cache
def error_codes() -> dict[str, ErrorCode]:
    """code -> ErrorCode, sorted by code."""
    classes: dict[str, _Class] = {}
    found: dict[str, ErrorCode] = {}
    trees = [_parse(path) for path in _source_files()]
    for where, tree in trees:
        _scan_classes(where, tree, classes)
    for where, tree in trees:
        _scan_calls(where, tree, classes, found)
    for name, info in classes.items():
        # an exception class answers its status; a validator's error is a 400 on the field
        status = _class_status(name, classes) or (400 if name.endswith("Validator") else None)
        if info.code and status:
            found.setdefault(info.code, ErrorCode(info.code)).merge(status, info.detail, info.where)
    for info in found.values():
        if not info.statuses:  # a model constraint no service translates: a conflict
            info.statuses.add(CONSTRAINT_STATUS)
    _framework_codes(found)
    # Our 401/403 enums (common.openapi) and drf-standardized-errors' per-status enums.
    from drf_standardized_errors import openapi_serializers

    from . import openapi

    enums = {401: openapi.ErrorCode401Enum, 403: openapi.ErrorCode403Enum}
    for status in (404, 405, 406, 415, 429, 500):
        enums[status] = getattr(openapi_serializers, f"ErrorCode{status}Enum")
    for status, enum in enums.items():
        for code in enum.values:
            found.setdefault(code, ErrorCode(code)).merge(status, "", "framework")
    return dict(sorted(found.items()))


def codes_with_status(status: int) -> list[str]:
    return [code for code, info in error_codes().items() if status in info.statuses]

"""common.error_catalogue finds every error code in the code, and docs/api-guide.md's table of
them is current (`manage.py error_codes`)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from drf_spectacular.generators import SchemaGenerator

from common import error_catalogue
from common.management.commands import error_codes as command


@pytest.fixture(scope="module")
def codes():
    return error_catalogue.error_codes()


def test_the_guide_lists_every_code_the_code_answers():
    call_command("error_codes", check=True)


def test_a_stale_table_fails_the_check(tmp_path, monkeypatch):
    stale = tmp_path / "api-guide.md"
    stale.write_text(command.GUIDE.read_text().replace("| `slot_unavailable` |", "| `gone` |"))
    monkeypatch.setattr(command, "GUIDE", stale)
    with pytest.raises(CommandError, match="stale"):
        call_command("error_codes", check=True)
    call_command("error_codes")
    assert stale.read_text() == command.GUIDE.read_text().replace(str(command.GUIDE), str(stale))


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("slot_unavailable", 409),  # a ConflictError subclass's default_code
        ("start_in_past", 400),  # field_error(..., code=...)
        ("cannot_deactivate_self", 409),  # ConflictError(..., code=...)
        ("already_waiting", 409),  # a model constraint's violation_error_code
        ("tasks_lagging", 503),  # error_json_response(503, ...)
        ("token_revoked", 401),  # AuthenticationFailed(..., code=...)
        ("future_date", 400),  # common.date_windows.Window(too_late=(code, detail))
        ("date_out_of_range", 400),  # code=OUT_OF_RANGE, a module constant
        ("password_too_short", 400),  # a password validator in force
        ("max_length", 400),  # a DRF field's error
        ("throttled", 429),  # DRF's exceptions
    ],
)
def test_codes_of_every_kind_of_source_are_found(codes, code, status):
    assert status in codes[code].statuses, codes.get(code)


def test_details_are_the_human_text_not_the_field(codes):
    assert codes["start_in_past"].detail == "The slot must start in the future."
    assert codes["slot_unavailable"].where == {"appointments", "scheduling"}


@pytest.mark.django_db
def test_every_code_the_schema_enumerates_is_in_the_catalogue(codes):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    enumerated = set()
    for component in schema["components"]["schemas"].values():
        code = component.get("properties", {}).get("code", {})
        if {"code", "detail", "attr"} <= component.get("properties", {}).keys():
            if "$ref" in code:
                code = schema["components"]["schemas"][code["$ref"].rsplit("/", 1)[-1]]
            enumerated.update(code.get("enum", []))
    assert len(enumerated) > 100
    assert enumerated - codes.keys() == set()

"""The schema declares the errors the API really answers (common.openapi); `make fuzz` holds the
live API to it, these pin the mechanism."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.errors import assert_error
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def components(schema) -> dict:
    return schema["components"]["schemas"]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_401_lists_every_code_the_token_checks_use(schema, client_for):
    codes = set(components(schema)["ErrorCode401Enum"]["enum"])
    assert {"not_authenticated", "token_not_valid", "token_revoked", "user_inactive"} <= codes
    patient = PatientFactory()
    response = client_for(patient.user).post("/api/v1/auth/logout/", {"refresh": "garbage"})
    assert assert_error(response, 401, "token_not_valid")["errors"][0]["code"] in codes


def test_403_lists_the_permission_codes(schema):
    codes = set(components(schema)["ErrorCode403Enum"]["enum"])
    assert codes == {"permission_denied", "doctor_not_confirmed", "insufficient_scope"}


def test_every_validation_error_admits_codes_only_a_service_knows(schema):
    schemas = components(schema)
    checked = 0
    for name, component in schemas.items():
        if name.endswith("ValidationError") and "errors" in component.get("properties", {}):
            item = schemas[component["properties"]["errors"]["items"]["$ref"].split("/")[-1]]
            assert "oneOf" not in item, name
            assert {"$ref": "#/components/schemas/OtherValidationError"} in item["anyOf"], name
            checked += 1
    assert checked > 20
    other = schemas["OtherValidationError"]
    # enumerated from common.error_catalogue: service rules, password validators, list items
    codes = set(other["properties"]["code"]["enum"])
    assert {"start_in_past", "wrong_password", "password_too_short", "max_length"} <= codes
    assert other["properties"]["attr"] == {"type": "string", "nullable": True}


def test_400_client_errors_are_not_only_parse_errors(schema):
    body = components(schema)["AuthEmailConfirmCreateErrorResponse400"]
    assert body["discriminator"]["mapping"]["client_error"].endswith("/ClientErrorResponse400")


def test_paginated_lists_declare_the_page_size_400(schema):
    for name, operation in operations(schema):
        params = {p["name"]: p for p in operation.get("parameters", [])}
        if "page_size" in params:
            assert "400" in operation["responses"], name
            assert params["page_size"]["schema"]["minimum"] == 1


def test_optional_query_parameters_may_be_empty(schema):
    query = [
        (name, parameter)
        for name, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]
    assert query
    for name, parameter in query:
        assert parameter.get("allowEmptyValue") is True, (name, parameter["name"])


def test_a_blank_email_read_from_a_model_is_declared(schema):
    email = components(schema)["Clinic"]["properties"]["email"]
    assert email["oneOf"] == [
        {"type": "string", "format": "email"},
        {"type": "string", "maxLength": 0},
    ]
    assert email["readOnly"] is True

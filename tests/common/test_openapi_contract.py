"""The schema front-end teams generate clients from (common.openapi_contract): verb-phrase
operation ids, a description everywhere, examples for every body, enumerated error codes.
`make contract-lint` (Spectral) checks the committed file; these pin the mechanism."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from common.openapi_contract import OPERATION_IDS, ExampleError, postprocess_contract

pytestmark = pytest.mark.django_db
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_operation_ids_are_unique_camel_case_verb_phrases(schema):
    ids = [operation["operationId"] for _, operation in operations(schema)]
    assert len(ids) == len(set(ids)) == len(OPERATION_IDS)
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+|logIn|logOut", operation_id), operation_id
    assert {"bookAppointment", "listAppointments", "cancelAppointment", "logIn"} <= set(ids)


def test_every_operation_has_a_summary_a_description_and_a_defined_tag(schema):
    tags = {tag["name"] for tag in schema["tags"]}
    for name, operation in operations(schema):
        assert operation["summary"], name
        assert operation["description"], name
        assert set(operation["tags"]) <= tags, name


def test_every_body_and_2xx_4xx_answer_has_an_example(schema):
    checked = 0
    for name, operation in operations(schema):
        media = list(operation.get("requestBody", {}).get("content", {}).values())
        for status, response in operation["responses"].items():
            if status[0] in "24":
                media.extend(response.get("content", {}).values())
        for item in media:
            assert item.get("examples") or "example" in item, name
            checked += 1
    assert checked > 1000


def test_error_examples_use_a_documented_code_and_its_detail(schema):
    content = schema["paths"]["/api/v1/appointments/"]["post"]["responses"]["409"]["content"]
    error = content["application/json"]["examples"]["Example"]["value"]["errors"][0]
    assert error == {
        "code": "slot_unavailable",
        "detail": "This slot is no longer available.",
        "attr": None,
    }
    # drf-standardized-errors' stock examples are dropped where the codes are narrower
    login_401 = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]["401"]["content"]
    for example in login_401["application/json"]["examples"].values():
        assert example["value"]["errors"][0]["code"] == "invalid_credentials"


def test_catch_all_error_items_enumerate_their_codes(schema):
    components = schema["components"]["schemas"]
    for name in ("ClientError400", "OtherValidationError"):
        codes = set(components[name]["properties"]["code"]["enum"])
        assert {"parse_error", "invalid_token", "wrong_password", "json_too_deep"} <= codes, name


def test_throttled_operations_document_their_rate_limit_headers(schema):
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert "RateLimit-Remaining" in login["200"]["headers"]
    assert "Retry-After" in login["429"]["headers"]
    assert "Retry-After" not in login["200"]["headers"]
    booking = schema["paths"]["/api/v1/appointments/"]["post"]["responses"]
    assert "headers" not in booking["201"]


def test_a_new_operation_without_a_name_is_refused():
    unnamed = {
        "paths": {"/api/v1/things/": {"get": {"operationId": "things_list", "responses": {}}}}
    }
    with pytest.raises(ExampleError, match="things_list"):
        postprocess_contract(unnamed, None, None, True)

"""FHIR checks: every FHIR response the suite sees is validated against the R4B models of
fhir.resources (tests/conftest.py calls `check_fhir_response` for each /fhir/ request)."""

import json

from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json"


def validate_resource(body: dict):
    """The fhir.resources model of `body` (raises pydantic's ValidationError if invalid)."""
    model = get_fhir_model_class(body["resourceType"])
    return model.model_validate(body)


def validate_ndjson(content: bytes, resource_type: str) -> list[dict]:
    resources = [json.loads(line) for line in content.decode().splitlines() if line]
    for resource in resources:
        assert resource["resourceType"] == resource_type, resource
        validate_resource(resource)
    return resources


def check_fhir_response(response) -> None:
    if response.streaming or 300 <= response.status_code < 400:
        return  # NDJSON files (the tests that read them call validate_ndjson), redirects
    if response.status_code >= 400:
        assert response["Content-Type"].startswith(FHIR_JSON), response.content
        body = response.json()
        assert body["resourceType"] == "OperationOutcome", body
        outcome = validate_resource(body)
        assert outcome.issue, body
        return
    body = response.json()
    if "resourceType" in body:
        validate_resource(body)


def outcome_codes(response) -> list[str]:
    """CareSlot's error codes in an OperationOutcome."""
    return [
        coding["code"]
        for issue in response.json()["issue"]
        for coding in issue.get("details", {}).get("coding", [])
    ]


def assert_outcome(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    if code is not None:
        assert code in outcome_codes(response), body
    return body

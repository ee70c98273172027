"""Errors as OperationOutcome resources.

Every error on /fhir/ is first made in the API's one shape (docs/api-guide.md) by whichever layer
refused the request (DRF's exception handler, the hostile-input middleware, Django's 404/500
handlers), then rewritten here, once, by `OperationOutcomeMiddleware`: the status and headers such
as `WWW-Authenticate`, `Allow` or `Retry-After` are kept, each error becomes an issue whose
`details.coding` carries CareSlot's stable code."""

import json

from django.http import HttpResponse

from .media import FHIR_JSON
from .resources import ERROR_SYSTEM

FHIR_PREFIX = "/fhir/"

# http://hl7.org/fhir/valueset-issue-type.html
ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
}
_CONTENT_HEADERS = {"content-type", "content-length"}


def operation_outcome(status: int, errors: list[dict]) -> dict:
    """An OperationOutcome with one issue per error (`code`, `detail`, `attr`)."""
    issue_type = "exception" if status >= 500 else ISSUE_TYPE.get(status, "processing")
    issues = []
    for error in errors:
        issue = {
            "severity": "fatal" if status >= 500 else "error",
            "code": issue_type,
            "details": {
                "coding": [{"system": ERROR_SYSTEM, "code": error["code"]}],
                "text": error["detail"],
            },
            "diagnostics": error["detail"],
        }
        if error.get("attr"):
            issue["expression"] = [error["attr"]]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def _errors_of(response) -> list[dict] | None:
    """The errors of a response, or None when it is not one."""
    if response.streaming or response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return None
    return body["errors"]


class OperationOutcomeMiddleware:
    """On /fhir/ paths, every error body becomes an OperationOutcome (application/fhir+json).
    Outside common.middleware.JSONErrorMiddleware, so it also sees the errors that one made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(FHIR_PREFIX):
            return response
        errors = _errors_of(response)
        if errors is None:
            return response
        status = response.status_code
        rewritten = HttpResponse(
            json.dumps(operation_outcome(status, errors)), status=status, content_type=FHIR_JSON
        )
        for name, value in response.items():
            if name.lower() not in _CONTENT_HEADERS:
                rewritten[name] = value
        rewritten.cookies = response.cookies
        # Not response.close(): that sends request_finished, which closes the database
        # connection while the request (and a test's transaction) still holds it.
        return rewritten

"""The CapabilityStatement, generated from the registry: exactly the resource types,
interactions and search parameters the views implement."""

from .media import FHIR_JSON, JSON_PATCH
from .registry import RESOURCE_TYPES
from .search import DEFAULT_COUNT, MAX_COUNT

FHIR_VERSION = "4.0.1"
SOFTWARE_VERSION = "1.0.0"
RELEASED = "2026-11-30"


def _interactions(writable: bool) -> list[dict]:
    codes = ["read", "search-type"]
    if writable:
        codes += ["create", "update", "patch"]
    return [{"code": code} for code in codes]


def _resource(resource_type) -> dict:
    resource = {
        "type": resource_type.name,
        "documentation": resource_type.documentation,
        "interaction": _interactions(resource_type.writable),
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [
            {"name": param.name, "type": param.type, "documentation": param.documentation}
            for param in resource_type.search
        ],
    }
    if not resource["documentation"]:
        del resource["documentation"]
    return resource


def capability_statement(base_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "id": "careslot",
        "url": f"{base_url}/metadata",
        "name": "CareSlotScheduling",
        "title": "CareSlot FHIR R4 scheduling API",
        "status": "active",
        "experimental": False,
        "date": RELEASED,
        "publisher": "CareSlot",
        "description": (
            "Read and search doctors, clinics, schedules, slots, appointments and patients; "
            "book a free Slot by creating an Appointment; cancel it by setting its status to "
            "cancelled. The same accounts and permissions as the REST API at /api/v1/."
        ),
        "kind": "instance",
        "software": {"name": "CareSlot", "version": SOFTWARE_VERSION},
        "implementation": {"description": "CareSlot FHIR R4 endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "patchFormat": [JSON_PATCH],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    f"Searches return searchset Bundles with `total` and `next` links; "
                    f"`_count` (default {DEFAULT_COUNT}, at most {MAX_COUNT}; 0 for the total "
                    "only). Unknown parameters, modifiers and unreadable values are refused "
                    "(400 OperationOutcome). No history, versions, _include, _sort or "
                    "conditional interactions. Public, without authentication: this "
                    "statement and the SMART Scheduling Links manifest at "
                    f"{base_url}/$bulk-publish (Location, Schedule and Slot NDJSON files, "
                    "free/busy only)."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "Send `Authorization: Bearer <access token>` from POST "
                        "/api/v1/auth/login/ (the REST API's JWT). What a caller cannot see "
                        "is a 404; what they see but may not change is a 403."
                    ),
                },
                "resource": [_resource(resource_type) for resource_type in RESOURCE_TYPES],
            }
        ],
    }

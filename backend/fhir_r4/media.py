"""The FHIR media types: application/fhir+json in and out (application/json too), and JSON
Patch bodies for PATCH. Parsing keeps the limits of common.parsers (NUL, surrogates, depth)."""

from rest_framework.renderers import JSONRenderer

from common.parsers import StrictJSONParser

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
JSON_PATCH = "application/json-patch+json"


class FHIRJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FHIRJSONParser(StrictJSONParser):
    media_type = FHIR_JSON


class JSONPatchParser(StrictJSONParser):
    media_type = JSON_PATCH


RENDERERS = [FHIRJSONRenderer, JSONRenderer]
PARSERS = [FHIRJSONParser, StrictJSONParser, JSONPatchParser]

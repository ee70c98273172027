"""Request and response rules that hold for every endpoint, whatever view answers."""

from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control

from .errors import error_json_response, request_too_large
from .parsers import forbidden_character


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` and `Pragma: no-cache` on every response but the
    public, data-free paths in CACHEABLE_PATH_PREFIXES (schema, docs, static files): tokens
    (RFC 6749 §5.1), personal and medical data must not stay in a browser or proxy cache, and
    marking every API response is the rule no new endpoint can forget."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(tuple(settings.CACHEABLE_PATH_PREFIXES)):
            patch_cache_control(response, private=True, no_store=True)
            response["Pragma"] = "no-cache"
        return response


# DRF's codes for the statuses it raises, so a status reads the same from every layer.
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    413: "request_too_large",
    429: "throttled",
}
_CONTENT_HEADERS = {
    "content-type",
    "content-length",
    "content-encoding",
    "content-disposition",
    "content-language",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
}


class JSONErrorMiddleware:
    """Every 4xx/5xx in the §9 shape: an error some other layer rendered its own way (the
    Swagger and schema views' HTML and YAML, WhiteNoise, the CSRF failure page) is rewritten,
    keeping its status and headers such as `Allow` and `Retry-After`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        return _as_json_error(response)


def _as_json_error(response) -> JsonResponse:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = "error" if status >= 500 else _CODES.get(status, phrase.lower().replace(" ", "_"))
    rewritten = error_json_response(status, code, f"{phrase}.")
    for name, value in response.items():
        if name.lower() not in _CONTENT_HEADERS:
            rewritten[name] = value
    rewritten.cookies = response.cookies
    response.close()
    return rewritten


class RequestSizeLimitMiddleware:
    """Refuse request bodies over MAX_REQUEST_BODY_BYTES (413) before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return request_too_large()
        return self.get_response(request)


class ForbiddenCharactersMiddleware:
    """Refuse a NUL or a lone surrogate in the path or the query string (400) before any view,
    filter or paginator reads them: PostgreSQL text cannot hold NUL, so a lookup on such a
    value fails in the database. (Request bodies: common.parsers.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        error = forbidden_character(request.path_info)
        if error is not None:
            return error_json_response(400, error.code, f"URL path: {error}")
        # Reading GET here also makes DATA_UPLOAD_MAX_NUMBER_FIELDS a 400 (common.views).
        for name, values in request.GET.lists():
            if (error := forbidden_character(name)) is not None:
                return error_json_response(400, error.code, f"Query parameter name: {error}")
            for value in values:
                if (error := forbidden_character(value)) is not None:
                    return error_json_response(400, error.code, str(error), attr=name)
        return self.get_response(request)

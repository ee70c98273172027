from django.conf import settings
from django.http import JsonResponse


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
            detail = f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes."
            return JsonResponse(
                {
                    "type": "client_error",
                    "errors": [{"code": "request_too_large", "detail": detail, "attr": None}],
                },
                status=413,
            )
        return self.get_response(request)

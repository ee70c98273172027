"""The route a request matched, as a template: what the request log, the metrics, the tracing
spans and the log filters name instead of the path (which can hold ids and calendar tokens)."""

import functools
import re

from django.urls import Resolver404, resolve

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_template(request) -> str:
    """The URL pattern that matched, as `/api/v1/appointments/{pk}/cancel/`: the same for
    every id, so it is a bounded metric label and holds no token or personal value."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except (Resolver404, ValueError):
            return "unmatched"
    return _template_of(match.route or "")


@functools.lru_cache(maxsize=1024)  # one entry per URL pattern
def _template_of(route: str) -> str:
    route = _NAMED_GROUP.sub(r"{\1}", route)
    route = _CONVERTER.sub(r"{\1}", route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + route

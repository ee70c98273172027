"""FHIR search: strict parameters and searchset Bundles.

Strict, as the rest of the API: an unknown parameter (or a modifier such as `status:not`), a
value that cannot be read, an unsupported date prefix or a date outside the accepted window is
a 400 OperationOutcome naming the parameter, never an unfiltered result and never a 500.
Repeated parameters are ANDed (`start=ge...&start=lt...`), comma-separated values ORed
(`status=free,busy`)."""

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request

from common.date_windows import FILTER_EARLIEST, FILTER_LATEST

# The dates a search accepts: the list filters' window (common.date_windows, docs/api-guide.md).
EARLIEST, LATEST = FILTER_EARLIEST, FILTER_LATEST
DATE_PREFIXES = ("ge", "gt", "le", "lt", "eq")
_DATE = re.compile(
    r"^(?P<prefix>[a-z]{2})?"
    r"(?P<value>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?P<zone>Z|[+-]\d{2}:\d{2})?)?)$"
)
COUNT_PARAM, PAGE_PARAM = "_count", "page"
DEFAULT_COUNT, MAX_COUNT = 20, 100
MAX_DIGITS = 9


def bad_param(name: str, detail: str, code: str = "invalid") -> ValidationError:
    return ValidationError({name: [ErrorDetail(detail, code=code)]})


# A search handler narrows the queryset with one parameter's values (each occurrence one item)
# for the caller (the user: a reference is resolved only among what they may see).
Handler = Callable[[QuerySet, str, list[str], object], QuerySet]


@dataclass(frozen=True)
class SearchParam:
    """One search parameter: what the CapabilityStatement lists is what `handler` applies."""

    name: str
    type: str  # FHIR search parameter type: date, token, reference, string
    documentation: str
    handler: Handler


def apply_search(queryset: QuerySet, request: Request, params: list[SearchParam]) -> QuerySet:
    """Apply each known parameter; refuse unknown ones."""
    handlers = {param.name: param.handler for param in params}
    for name in request.query_params:
        if name in (COUNT_PARAM, PAGE_PARAM):
            continue
        if name not in handlers:
            supported = ", ".join(sorted([*handlers, COUNT_PARAM]))
            raise bad_param(
                name,
                f"Unsupported search parameter {name!r}. Supported here: {supported}.",
                code="unsupported_search_parameter",
            )
        values = [value.strip() for value in request.query_params.getlist(name)]
        if any(not value for value in values):
            raise bad_param(name, "Give a value.", code="blank")
        queryset = handlers[name](queryset, name, values, request.user)
    return queryset


def any_of(values: Iterable[str]) -> list[str]:
    """The comma-separated alternatives of one occurrence."""
    return [part.strip() for value in values for part in value.split(",")]


# Dates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """What a date search value denotes: [low, high) for a day; the instant itself otherwise."""

    low: datetime
    high: datetime
    exact: bool


def parse_date(name: str, raw: str) -> tuple[str, DateRange]:
    match = _DATE.match(raw)
    if match is None:
        raise bad_param(
            name,
            "Use [prefix]YYYY-MM-DD or [prefix]YYYY-MM-DDThh:mm[:ss]+hh:mm (prefix: "
            f"{', '.join(DATE_PREFIXES)}).",
        )
    prefix = match["prefix"] or "eq"
    if prefix not in DATE_PREFIXES:
        raise bad_param(
            name,
            f"Unsupported prefix {prefix!r}; use one of {', '.join(DATE_PREFIXES)}.",
            code="unsupported_prefix",
        )
    text = match["value"]
    if "T" in text and not match["zone"]:
        raise bad_param(name, "Give the time with its UTC offset or Z.", code="naive")
    try:
        parsed = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise bad_param(name, f"{text} is not a real date or time.") from None
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if not EARLIEST <= day <= LATEST:
        raise bad_param(
            name,
            f"Dates must lie from {EARLIEST} to {LATEST}.",
            code="date_out_of_range",
        )
    if isinstance(parsed, datetime):
        moment = parsed.astimezone(UTC)
        return prefix, DateRange(moment, moment, exact=True)
    low = datetime.combine(parsed, time.min, tzinfo=UTC)
    return prefix, DateRange(low, low + timedelta(days=1), exact=False)


def date_condition(field: str, prefix: str, when: DateRange) -> Q:
    if prefix == "ge":
        return Q(**{f"{field}__gte": when.low})
    if prefix == "lt":
        return Q(**{f"{field}__lt": when.low})
    if prefix == "gt":
        return Q(**{f"{field}__gt": when.low}) if when.exact else Q(**{f"{field}__gte": when.high})
    if prefix == "le":
        return Q(**{f"{field}__lte": when.low}) if when.exact else Q(**{f"{field}__lt": when.high})
    if when.exact:
        return Q(**{field: when.low})
    return Q(**{f"{field}__gte": when.low, f"{field}__lt": when.high})


def by_date(field: str) -> Handler:
    def handler(queryset: QuerySet, name: str, values: list[str], user=None) -> QuerySet:
        for value in values:
            queryset = queryset.filter(date_condition(field, *parse_date(name, value)))
        return queryset

    return handler


# Tokens and references ---------------------------------------------------------------------------


def by_token(field: str, codes: dict[str, object], *, system: str | None = None) -> Handler:
    """`codes` maps each FHIR code this parameter knows to the stored value it means (None:
    a valid code nothing of ours ever has). `system|code` is accepted when `system` matches."""

    def handler(queryset: QuerySet, name: str, values: list[str], user=None) -> QuerySet:
        for value in values:
            wanted = []
            for part in any_of([value]):
                code = _code(name, part, system)
                if code not in codes:
                    known = ", ".join(codes)
                    raise bad_param(name, f"Unknown code {code!r}; known: {known}.")
                wanted.append(codes[code])
            queryset = queryset.filter(**{f"{field}__in": [w for w in wanted if w is not None]})
        return queryset

    return handler


def by_code(field: str, *, system: str) -> Handler:
    """A token whose codes are data (specialty slugs): unknown codes simply match nothing."""

    def handler(queryset: QuerySet, name: str, values: list[str], user=None) -> QuerySet:
        for value in values:
            codes = [_code(name, part, system) for part in any_of([value])]
            queryset = queryset.filter(**{f"{field}__in": [c for c in codes if c is not None]})
        return queryset

    return handler


def _code(name: str, part: str, system: str | None) -> str | None:
    if "|" not in part:
        return part
    given_system, code = part.split("|", 1)
    if given_system and given_system != system:
        return None  # another code system: no CareSlot value carries it
    return code


def by_reference(field: str, *kinds: str) -> Handler:
    """`Kind/<uuid>` or a bare `<uuid>`; an id that is no UUID matches nothing."""

    def handler(queryset: QuerySet, name: str, values: list[str], user=None) -> QuerySet:
        for value in values:
            ids = [reference_id(name, part, kinds) for part in any_of([value])]
            queryset = queryset.filter(**{f"{field}__in": [pk for pk in ids if pk is not None]})
        return queryset

    return handler


def reference_id(name: str, raw: str, kinds: tuple[str, ...]) -> uuid.UUID | None:
    text = raw
    if "/" in raw:
        kind, text = raw.rsplit("/", 1)
        kind = kind.rsplit("/", 1)[-1]  # an absolute URL ends in Kind/id too
        if kind not in kinds:
            raise bad_param(name, f"Reference a {' or '.join(kinds)} (e.g. {kinds[0]}/<id>).")
    return parse_uuid(text)


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def by_text(*fields: str) -> Handler:
    """FHIR `string` search, read as "contains, case-insensitively" in any of `fields`."""

    def handler(queryset: QuerySet, name: str, values: list[str], user=None) -> QuerySet:
        for value in values:
            if len(value) > 100:
                raise bad_param(name, "At most 100 characters.", code="max_length")
            condition = Q(pk__in=[])
            for part in any_of([value]):
                for field in fields:
                    condition |= Q(**{f"{field}__icontains": part})
            queryset = queryset.filter(condition)
        return queryset

    return handler


# Bundles ----------------------------------------------------------------------------------------


def _positive(name: str, raw: str, *, allow_zero: bool = False) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS):
        raise bad_param(name, "A whole number is required.")
    number = int(raw)
    if number < (0 if allow_zero else 1):
        raise bad_param(name, f"At least {0 if allow_zero else 1}.")
    return number


def paging(request: Request) -> tuple[int, int]:
    """(`_count`, page): `_count` 0..100 (larger is capped, 0 gives only the total)."""
    raw_count = request.query_params.get(COUNT_PARAM, "").strip()
    count = (
        min(_positive(COUNT_PARAM, raw_count, allow_zero=True), MAX_COUNT)
        if raw_count
        else DEFAULT_COUNT
    )
    raw_page = request.query_params.get(PAGE_PARAM, "").strip()
    page = _positive(PAGE_PARAM, raw_page) if raw_page else 1
    return count, page


def searchset(request: Request, queryset: QuerySet, to_resource: Callable[[object], dict]) -> dict:
    """One page of `queryset` (ordered by the caller) as a searchset Bundle with `total` and
    `self`/`next`/`previous` links."""
    count, page = paging(request)
    total = queryset.count()
    offset = (page - 1) * count
    rows = list(queryset[offset : offset + count]) if count and offset < total else []
    links = [{"relation": "self", "url": _page_url(request, page, count)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": _page_url(request, page + 1, count)})
    if page > 1 and count:
        links.append({"relation": "previous", "url": _page_url(request, page - 1, count)})
    base = request.build_absolute_uri(request.path)
    entries = []
    for row in rows:
        resource = to_resource(row)
        entries.append(
            {
                "fullUrl": f"{base}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
        )
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        bundle["entry"] = entries
    return bundle


def _page_url(request: Request, page: int, count: int) -> str:
    params = request.query_params.copy()
    params[COUNT_PARAM] = str(count)
    params[PAGE_PARAM] = str(page)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

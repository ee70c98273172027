from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import ErrorDetail, ValidationError

# Longer digit strings are not page numbers anyone means; int() of thousands of digits is slow
# and refused beyond 4,300 (a ValueError that used to surface as a 500).
MAX_DIGITS = 9


def _positive_int(raw: str, name: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS and int(raw) >= 1):
        raise ValidationError(
            {name: [ErrorDetail("A positive integer is required.", code="invalid")]}
        )
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=&page_size=` with the page size capped (docs/api-guide.md, "Errors").

    Both take a positive integer in ASCII digits; anything else (`0`, `-1`, `1e3`, `NaN`,
    `ten`, 20 digits) is a 400 on the parameter, not silently the default: a client that asks
    for `page_size=ten` has a bug it should hear about. Sizes above the cap are capped, as
    documented; a page after the last is a 400 `out_of_range`; `page=last` is the last page;
    an empty value means "not given", but spaces are not an empty value."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if not raw:
            return self.page_size
        if raw.isascii() and raw.isdigit() and len(raw) > MAX_DIGITS:
            return self.max_page_size  # a huge size is a capped size, however many digits
        return min(_positive_int(raw, self.page_size_query_param), self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        raw = request.query_params.get(self.page_query_param, "")
        if not raw:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        return _positive_int(raw, self.page_query_param)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(self.get_page_number(request, paginator))
        except InvalidPage:  # only a page after the last: get_page_number vets the rest
            raise ValidationError(
                {
                    self.page_query_param: [
                        ErrorDetail("There is no page with this number.", code="out_of_range")
                    ]
                }
            ) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}; larger values are capped at "
                    f"{self.max_page_size})."
                )
        return parameters

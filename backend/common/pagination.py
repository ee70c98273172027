from rest_framework import pagination
from rest_framework.exceptions import ErrorDetail, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=&page_size=` with the page size capped (SPEC §9).

    A `page_size` that is not a positive integer is a 400, not silently the default: a client
    that asks for `page_size=ten` has a bug it should hear about. Sizes above the cap are
    capped, as documented, and an empty value means "not given"."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if not raw:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        ErrorDetail("A positive integer is required.", code="invalid")
                    ]
                }
            )
        return min(int(raw), self.max_page_size)

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

import io

from defusedcsv import csv
from rest_framework.renderers import BaseRenderer

# defusedcsv prefixes `'` to text starting with = + - @ | %; OWASP names tab and carriage
# return as well, which it lets through.
_MORE_FORMULA_STARTS = ("\t", "\r")


def _defuse(value):
    if isinstance(value, str) and value.startswith(_MORE_FORMULA_STARTS):
        return f"'{value}"
    return value


class CSVRenderer(BaseRenderer):
    """`?format=csv`: the report's `results` rows with a header row (the view's `csv_columns`).

    Text that a spreadsheet would run as a formula (a doctor named `=HYPERLINK(...)`) is
    written with a leading `'` (OWASP "CSV injection"). Numbers are not: defusedcsv leaves
    numbers and numeric text such as `-12.50` as they are, so amounts stay numbers."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        view = (renderer_context or {}).get("view")
        columns = list(getattr(view, "csv_columns", []))
        rows = data.get("results", []) if isinstance(data, dict) else []
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({key: _defuse(value) for key, value in row.items()} for row in rows)
        return buffer.getvalue().encode(self.charset)

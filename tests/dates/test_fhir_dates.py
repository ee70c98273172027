"""The FHIR API's date inputs (outside the OpenAPI schema, so listed here by hand): the Slot
`start` and Appointment `date` searches with every prefix, and the day of a published slot file,
drawn from the whole calendar and every zone. A search answers or a 400 OperationOutcome names
the parameter; a slot file exists or is a 404; never a 5xx, never a write."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.date_windows import FILTER_DAYS

from .harness import in_window, write_counts
from .strategies import Sent, dates, datetimes

pytestmark = pytest.mark.django_db

FHIR = "/fhir/r4"
SEARCHES = [
    ("patient", "Slot", "start"),
    ("doctor", "Slot", "start"),
    ("patient", "Appointment", "date"),
    ("clinic_admin", "Appointment", "date"),
]
PREFIXES = ["", "eq", "ge", "gt", "le", "lt", "ne", "sa", "zz"]
SUPPORTED = {"", "eq", "ge", "gt", "le", "lt"}

texts = st.one_of(dates(), datetimes().filter(lambda sent: isinstance(sent.wire, str)))


def _is_day(sent: Sent) -> bool:
    return isinstance(sent.wire, str) and len(sent.wire) == 10 and sent.value is not None


@pytest.mark.parametrize(("role", "resource", "param"), SEARCHES)
def test_fhir_date_searches_over_the_whole_calendar(world, client_for, role, resource, param):
    client = client_for(world.actor(role))

    @given(prefix=st.sampled_from(PREFIXES), sent=texts)
    def check(prefix, sent):
        before = write_counts()
        response = client.get(f"{FHIR}/{resource}", {param: f"{prefix}{sent.wire}"})
        assert response.status_code in (200, 400), response.content
        if response.status_code == 400:
            assert write_counts() == before
        if _is_day(sent):  # a plain day: its fate is known exactly
            accepted = prefix in SUPPORTED and in_window(sent, FILTER_DAYS)
            assert (response.status_code == 200) == accepted, (prefix, sent, response.content)

    check()


def test_published_slot_files_over_the_whole_calendar(world, client_for):
    client = client_for(None)

    @given(sent=dates())
    def check(sent):
        response = client.get(f"{FHIR}/$bulk-publish/Slot-{sent.wire}.ndjson")
        assert response.status_code in (200, 404), response.content
        if response.status_code == 200:
            b"".join(response.streaming_content)  # the whole file renders

    check()

"""AwareDateTimeField: times without an offset are refused, impossible times are field errors."""

import pytest

from tests.errors import assert_error
from tests.factories import in_hours

pytestmark = pytest.mark.django_db

START = in_hours(48).replace(hour=12, minute=0, second=0, microsecond=0)
DAY = START.date().isoformat()


def _post_slot(client, doctor, start, end):
    return client.post(
        "/api/v1/slots/", {"clinic": str(doctor.clinic.pk), "start": start, "end": end}
    )


@pytest.mark.parametrize("end", [f"{DAY}T12:99:00Z", f"{START.year + 1}-02-30T12:00:00+01:00"])
def test_an_impossible_time_is_a_field_error_not_a_server_error(client_for, doctor, end):
    # found by `make fuzz`: Django's parse_datetime raises ValueError here, which was a 500
    response = _post_slot(client_for(doctor.user), doctor, f"{DAY}T12:00:00Z", end)
    assert_error(response, 400, "invalid", attr="end")


def test_a_time_without_offset_is_refused(client_for, doctor):
    response = _post_slot(client_for(doctor.user), doctor, f"{DAY}T12:00:00", f"{DAY}T12:30:00Z")
    assert_error(response, 400, "naive", attr="start")

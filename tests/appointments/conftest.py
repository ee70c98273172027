import pytest

from tests.factories import booked_appointment


@pytest.fixture
def booked():
    """A new patient's appointment 72 hours ahead, booked through the booking service."""
    return booked_appointment()

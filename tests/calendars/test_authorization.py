"""Calendar feed endpoints x roles -> status: each person manages only their own feeds; the
feed itself needs no login (its token is the credential)."""

import pytest

from calendars.models import CalendarFeed
from calendars.services import create_feed, rotate_feed
from tests.authz import Endpoint, cases, check, expect

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"


def patient_feed(w) -> tuple[CalendarFeed, str]:
    """The patient's feed and a live token (a table may ask twice in one world)."""
    feed = CalendarFeed.objects.filter(user=w.patient.user, role="patient").first()
    if feed is not None:
        return rotate_feed(feed=feed)
    return create_feed(user=w.patient.user, role="patient")


def patient_feed_id(w) -> str:
    return str(patient_feed(w)[0].pk)


def patient_feed_url(w) -> str:
    return f"{V1}/calendar/{patient_feed(w)[1]}.ics"


ENDPOINTS = [
    Endpoint("calendar-feeds-list", "GET", lambda w: f"{V1}/calendar-feeds/", expect(200)),
    Endpoint(
        "calendar-feeds-create",
        "POST",
        lambda w: f"{V1}/calendar-feeds/",
        expect(403, patient=201, other_patient=201),
        body=lambda w: {"role": "patient"},
    ),
    Endpoint(
        "calendar-feeds-rotate",
        "POST",
        lambda w: f"{V1}/calendar-feeds/{patient_feed_id(w)}/rotate/",
        expect(404, patient=200),
    ),
    Endpoint(
        "calendar-feeds-revoke",
        "DELETE",
        lambda w: f"{V1}/calendar-feeds/{patient_feed_id(w)}/",
        expect(404, patient=204),
    ),
    Endpoint("calendar-feed-ics", "GET", patient_feed_url, expect(200, anonymous=200)),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_calendar_feed_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)

"""Hostile URLs are 400s in the one error shape, never 500s (issue 15.4): NUL in a path segment or a
query parameter (common.middleware.ForbiddenCharactersMiddleware), too many parameters, and
special or extreme pagination values (common.pagination)."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import UserRole
from doctors.models import Specialty
from tests.errors import assert_error

pytestmark = pytest.mark.django_db

V1 = "/api/v1"

# (who asks, a URL they may read, a parameter it takes, a good value for it)
READS = [
    ("anonymous", lambda w: f"{V1}/specialties/", "search", "card"),
    ("patient", lambda w: f"{V1}/doctors/", "search", "dora"),
    ("patient", lambda w: f"{V1}/slots/available/", "city", "Berlin"),
    ("patient", lambda w: f"{V1}/appointments/", "status", "booked"),
    ("patient", lambda w: f"{V1}/patients/{w.patient.pk}/history/", "entry_type", "note"),
    ("platform_admin", lambda w: f"{V1}/users/", "search", "pia"),
    ("platform_admin", lambda w: f"{V1}/reports/bookings/", "tz", "UTC"),
    ("patient", lambda w: f"{V1}/auth/me/", "unused", "x"),
    ("anonymous", lambda w: "/healthz", "unused", "x"),
    ("anonymous", lambda w: "/readyz", "unused", "x"),
]
READ_IDS = [f"{role}:{param}@{i}" for i, (role, _, param, _) in enumerate(READS)]


@pytest.mark.parametrize(("role", "url", "param", "good"), READS, ids=READ_IDS)
def test_nul_in_a_query_value_is_a_400_on_that_parameter(client_for, world, role, url, param, good):
    client = client_for(world.actor(role))
    assert client.get(f"{url(world)}?{param}={good}").status_code == 200
    response = client.get(f"{url(world)}?{param}={good}%00")
    assert_error(response, 400, "null_characters_not_allowed", attr=param)


@pytest.mark.parametrize(("role", "url", "param", "good"), READS, ids=READ_IDS)
def test_nul_in_a_query_parameter_name_is_a_400(client_for, world, role, url, param, good):
    response = client_for(world.actor(role)).get(f"{url(world)}?ok=1&{param}%00=1")
    body = assert_error(response, 400, "null_characters_not_allowed")
    assert body["errors"][0]["attr"] is None


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        # The role name reached a database lookup as text: a 500 before.
        ("platform_admin", "delete", lambda w: f"{V1}/users/{w.patient.user.pk}/roles/%00/"),
        ("platform_admin", "delete", lambda w: f"{V1}/users/{w.patient.user.pk}/roles/pat%00/"),
        ("anonymous", "get", lambda w: f"{V1}/specialties/%00/"),
        ("patient", "get", lambda w: f"{V1}/appointments/{w.appointment.pk}%00/"),
        ("patient", "post", lambda w: f"{V1}/appointments/{w.appointment.pk}/cancel%00/"),
        ("anonymous", "post", lambda w: f"{V1}/auth/login/%00"),
    ],
)
def test_nul_in_the_path_is_a_400(client_for, world, role, method, url):
    roles_before = UserRole.objects.count()
    response = getattr(client_for(world.actor(role)), method)(url(world))
    assert_error(response, 400, "null_characters_not_allowed")
    assert UserRole.objects.count() == roles_before
    world.appointment.refresh_from_db()
    assert world.appointment.status == "booked"


def test_too_many_query_parameters_is_a_400(api_client, settings):
    query = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = api_client.get(f"{V1}/specialties/?{query}")
    assert_error(response, 400, "too_many_fields")


TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(["search", "city", "specialty", "date", "tz", "page"]), value=TEXT)
def test_no_query_value_is_a_5xx(client_for, world, name, value):
    # Lone surrogates cannot be sent as UTF-8: on the wire they are bytes a server decodes as
    # U+FFFD, which is what surrogatepass + percent-encoding reproduces here.
    encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
    response = client_for(world.patient.user).get(f"{V1}/slots/available/?{name}={encoded}")
    assert response.status_code in (200, 400), response.content


@pytest.fixture
def specialties():
    Specialty.objects.bulk_create(Specialty(name=f"S{i:03}", slug=f"s-{i}") for i in range(45))


MALFORMED = [
    "0",
    "-1",
    "+1",
    "1.0",
    "1e3",
    "1e309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "1_0",
    "ten",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() reads it, an ASCII parser does not
    "\uff11",  # FULLWIDTH DIGIT ONE
    "%20-1",
    "%201%20",  # an integer with spaces around is not an integer (the schema's type)
    "%09%0D%0A",  # nor is whitespace alone: only an empty value means "not given"
]
# All digits but too many: a page number no list has (a huge page_size is capped instead).
TOO_LONG = ["99999999999999999999", "9" * 5_000]  # the second is beyond int()'s 4,300 digits


@pytest.mark.parametrize(
    ("param", "value"),
    [
        *(("page", value) for value in [*MALFORMED, *TOO_LONG]),
        *(("page_size", value) for value in MALFORMED),
    ],
)
def test_malformed_page_parameters_are_400s(api_client, specialties, param, value):
    response = api_client.get(f"{V1}/specialties/?{param}={quote(value, safe='%')}")
    assert_error(response, 400, "invalid", attr=param)


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("page_size=99999999999999999999", 45),
        ("page_size=" + "9" * 5_000, 45),
        ("page_size=100", 45),
        ("page_size=1", 1),
        ("page=last&page_size=20", 5),
        ("page=3&page_size=20", 5),
        ("page=&page_size=", 20),  # empty means not given
    ],
)
def test_extreme_but_meaningful_page_parameters_give_a_page(api_client, specialties, query, count):
    response = api_client.get(f"{V1}/specialties/?{query}")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 45
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("page", ["4", "999999999"])
def test_a_page_after_the_last_is_a_400(api_client, specialties, page):
    response = api_client.get(f"{V1}/specialties/?page={page}&page_size=20")
    assert_error(response, 400, "out_of_range", attr="page")


def test_the_first_page_of_nothing_is_an_empty_page(client_for, world):
    response = client_for(world.other_patient.user).get(f"{V1}/appointments/?page=1")
    assert response.status_code == 200
    assert response.json()["results"] == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=TEXT, page_size=TEXT)
def test_no_page_parameters_are_a_5xx(client_for, world, page, page_size):
    encode = lambda text: quote(text.encode("utf-8", "surrogatepass"), safe="")  # noqa: E731
    response = client_for(world.patient.user).get(
        f"{V1}/appointments/?page={encode(page)}&page_size={encode(page_size)}"
    )
    assert response.status_code in (200, 400), response.content

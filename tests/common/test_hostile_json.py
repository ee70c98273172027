"""Hostile JSON bodies are 400s in the one error shape, never 500s, and change nothing (issue 15.4):
deep nesting, NUL and lone UTF-16 surrogates in keys and values, numbers beyond a float.
Public endpoints (login, registration), authenticated ones (booking, a PATCH) and the signed
payment webhook all parse with common.parsers.StrictJSONParser."""

import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from tests.common.body_targets import SECRET, TARGET_IDS, TARGETS, snapshot, webhook_event
from tests.errors import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def nested(depth: int, leaf="x"):
    """`depth` levels of lists around `leaf` (depth 0 is the leaf itself)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 40_000 + "1" + "}" * 40_000,
        "[" * 2_000 + "]" * 2_000,  # past the limit, but short of Python's recursion limit
    ],
    ids=["arrays-100000", "objects-40000", "arrays-2000"],
)
def test_deep_nesting_is_a_400(client_for, world, target, raw):
    before = snapshot(world)
    response = target.send(client_for, world, raw)
    assert_error(response, 400, "json_too_deep")
    assert snapshot(world) == before


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_nesting_is_capped_at_max_json_depth(client_for, world, target, settings):
    # The body object is level 1, so its field holds MAX_JSON_DEPTH - 1 more levels at most.
    fits = target.body(world) | {"extra": nested(settings.MAX_JSON_DEPTH - 1)}
    deeper = target.body(world) | {"extra": nested(settings.MAX_JSON_DEPTH)}
    response = target.send(client_for, world, json.dumps(fits))
    assert response.status_code < 400 or "json_too_deep" not in response.content.decode()
    assert_error(target.send(client_for, world, json.dumps(deeper)), 400, "json_too_deep")


NUL = ("\x00", "null_characters_not_allowed")
LONE_HIGH = ("\ud800", "surrogate_characters_not_allowed")
LONE_LOW = ("\udfff", "surrogate_characters_not_allowed")


def _in_field(body, field, bad):
    if "." in field:
        outer, inner = field.split(".")
        return body | {outer: body[outer] | {inner: f"a{bad}b"}}, field
    return body | {field: f"a{bad}b"}, field


# Where the bad character goes, and the `attr` the error names (None: the body as a whole).
PLACES = {
    "known-field": lambda body, field, bad: _in_field(body, field, bad),
    "list-item": lambda body, field, bad: (body | {"extra": ["ok", f"{bad}"]}, "extra.1"),
    "nested-value": lambda body, field, bad: (body | {"extra": {"deep": [{"k": bad}]}}, None),
    "top-level-key": lambda body, field, bad: ({**body, f"k{bad}": 1}, None),
    "nested-key": lambda body, field, bad: (body | {"extra": {f"k{bad}": 1}}, "extra"),
}


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("bad", [NUL, LONE_HIGH, LONE_LOW], ids=["nul", "ud800", "udfff"])
def test_nul_and_lone_surrogates_are_400s(client_for, world, target, place, bad):
    character, code = bad
    body, attr = PLACES[place](target.body(world), target.field, character)
    if place == "nested-value":
        attr = "extra.deep.0.k"
    before = snapshot(world)
    # json.dumps writes both as \u escapes, as a hostile client would.
    response = target.send(client_for, world, json.dumps(body))
    assert_error(response, 400, code, attr=attr)
    assert snapshot(world) == before


def test_the_webhook_reports_the_nested_field(client_for, world):
    webhook = TARGETS[-1]
    body = webhook_event(world)
    body["data"]["reference"] = "pi\x00"
    response = webhook.send(client_for, world, json.dumps(body))
    assert_error(response, 400, "null_characters_not_allowed", attr="data.reference")


def test_surrogate_pairs_and_other_controls_are_ordinary_text(client_for, world):
    register = TARGETS[1]
    body = register.body(world) | {"first_name": "Zo\u00eb \U0001f600", "last_name": "Tab\tOk"}
    raw = json.dumps(body)  # the emoji travels as the escaped pair \ud83d\ude00
    assert "\\ud83d\\ude00" in raw
    response = register.send(client_for, world, raw)
    assert response.status_code == 201, response.content
    user = User.objects.get(email=body["email"])
    assert (user.first_name, user.last_name) == ("Zo\u00eb \U0001f600", "Tab\tOk")


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ("1e400", "number_out_of_range"),
        ("-1e400", "number_out_of_range"),
        ("NaN", "parse_error"),
        ("Infinity", "parse_error"),
        ("9" * 5_000, "parse_error"),  # beyond int()'s 4,300 digits
    ],
)
def test_numbers_json_cannot_carry_are_400s(client_for, world, target, literal, code):
    raw = json.dumps(target.body(world))[:-1] + f', "extra": {literal}}}'
    before = snapshot(world)
    response = target.send(client_for, world, raw)
    if code == "number_out_of_range":
        assert_error(response, 400, code, attr="extra")
    else:
        assert_error(response, 400, code)
    assert snapshot(world) == before


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize(
    "raw",
    [b"{", b"\xff\xfe{}", b'{"a": "\xed\xa0\x80"}', b"\x00", b"[]", b"null", b'"x"', b"7"],
    ids=["truncated", "bom-garbage", "utf8-surrogate", "nul-byte", "list", "null", "str", "int"],
)
def test_malformed_or_non_object_bodies_are_4xx(client_for, world, target, raw):
    before = snapshot(world)
    response = target.send(client_for, world, raw)
    assert 400 <= response.status_code < 500, response.content
    assert snapshot(world) == before


TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["email", "password", "first_name", "slot"]) | TEXT,
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=JSON_VALUES, depth=st.one_of(st.just(0), st.integers(0, 100_000)))
def test_no_json_value_is_a_5xx(client_for, world, target, value, depth):
    cache.clear()  # throttles would stop the requests before they are parsed
    raw = "[" * depth + json.dumps(value) + "]" * depth
    response = target.send(client_for, world, raw)
    assert response.status_code < 500, response.content

"""No patient data in the logs (issue 23.1): every operation of the OpenAPI file is performed,
as the roles it succeeds for and the roles it refuses, in a world whose people, notes, history
and reviews hold recognizable marker values; then the personal calls again with markers of
their own (sign-up, login failures up to a lockout, password reset and change, profile edits,
history, booking notes, reviews, searches, calendar feeds, 400s that echo their input). The
worker runs the tasks they enqueue. None of the markers, nor the passwords, tokens and secrets
sent or handed out, may appear in any log line, rendered as JSON or as plain text."""

import contextlib
import io
import json
import logging
import re
import uuid
from dataclasses import fields

import pytest
import structlog
from django.core import mail
from django.db import transaction

from accounts.models import User
from appointments.models import Appointment
from common.logs import DatabaseErrorTextFilter, RouteNotPathFilter, logging_settings
from patients.models import Patient
from reviews.models import Review
from tests.authz import call
from tests.factories import PASSWORD, HistoryEntryFactory, SlotFactory, in_hours
from tests.records.conftest import records_world  # noqa: F401 (a fixture, used by name)
from tests.test_authorization_matrix import OPERATIONS, ROWS_BY_OPERATION

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
MARK = "qzvmark"  # no word, name or id contains it
SECRET_KEYS = ("token", "secret", "refresh", "access", "password")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


class LogCapture:
    """Handlers on the root logger rendering every record as the deployed app does."""

    def __init__(self) -> None:
        self.streams = {"json": io.StringIO(), "plain": io.StringIO()}
        self.handlers = []
        for name, stream in self.streams.items():
            config = logging_settings(json=name == "json", level="INFO")["formatters"]
            options = {k: v for k, v in config["structured"].items() if k != "()"}
            handler = logging.StreamHandler(stream)
            handler.setFormatter(structlog.stdlib.ProcessorFormatter(**options))
            handler.addFilter(RouteNotPathFilter())
            handler.addFilter(DatabaseErrorTextFilter())
            self.handlers.append(handler)

    def __enter__(self) -> "LogCapture":
        root = logging.getLogger()
        self.level = root.level
        root.setLevel(logging.INFO)
        for handler in self.handlers:
            root.addHandler(handler)
        return self

    def __exit__(self, *exc) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
        root.setLevel(self.level)

    def text(self, name: str) -> str:
        return self.streams[name].getvalue()

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.text("json").splitlines() if line.strip()]


class Recorder:
    """Performs calls and keeps every secret they sent or were handed."""

    def __init__(self, client_for, markers: set[str]) -> None:
        self.client_for = client_for
        self.markers = markers
        self.requests = 0
        self.feed_paths: set[str] = set()

    def send(self, user, method: str, path: str, body=None, **headers):
        client = self.client_for(user)
        headers.setdefault("HTTP_USER_AGENT", f"{MARK}-agent")
        self.requests += 1
        if body is None:
            response = getattr(client, method)(path, **headers)
        else:
            response = getattr(client, method)(path, body, format="json", **headers)
        self.keep_secrets(response)
        return response

    def keep_secrets(self, response) -> None:
        if "json" not in response.get("Content-Type", ""):
            return
        with contextlib.suppress(ValueError):
            self._collect(response.json())

    def _collect(self, value, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._collect(v, k)
        elif isinstance(value, list):
            for v in value:
                self._collect(v, key)
        elif isinstance(value, str):
            if any(word in key.lower() for word in SECRET_KEYS) and len(value) >= 12:
                self.markers.add(value)
            if "/calendar/" in value:  # a feed URL: its last part is the token
                self.markers.add(value.rsplit("/", 1)[-1].removesuffix(".ics"))
                self.feed_paths.add("/api/v1/calendar/" + value.rsplit("/calendar/", 1)[-1])


def mark_the_world(world) -> set[str]:
    """Marker values in every personal field of the world; returns them."""
    markers = {PASSWORD}
    for n, user in enumerate(User.objects.order_by("pk")):
        user.first_name = f"{MARK}first{n}"
        user.last_name = f"{MARK}last{n}"
        user.email = f"{MARK}.mail{n}@example.org"
        user.phone = f"+49 30 7{n:06d}"
        user.save()
        markers |= {user.first_name, user.last_name, user.email, user.phone}
    for n, patient in enumerate(Patient.objects.all()):
        patient.address = f"{n} {MARK}street"
        patient.emergency_contact_name = f"{MARK}contact{n}"
        patient.emergency_contact_phone = f"+49 30 8{n:06d}"
        patient.save()
        markers |= {patient.address, patient.emergency_contact_name}
        markers.add(patient.emergency_contact_phone)
    for n, patient in enumerate((world.patient, world.other_patient)):  # history: append only
        entry = HistoryEntryFactory(
            patient=patient,
            author=world.doctor,
            title=f"{MARK}title{n}",
            details=f"{MARK}details{n}",
            prescription=True,
            medication=f"{MARK}medication{n}",
        )
        markers |= {entry.title, entry.details, entry.medication}
    for n, appointment in enumerate(Appointment.objects.all()):
        Appointment.objects.filter(pk=appointment.pk).update(notes=f"{MARK}note{n}")
        markers.add(f"{MARK}note{n}")
    for n, review in enumerate(Review.objects.all()):
        Review.objects.filter(pk=review.pk).update(comment=f"{MARK}review{n}")
        markers.add(f"{MARK}review{n}")
    for f in fields(world):  # the world's instances read the marked rows from now on
        value = getattr(world, f.name)
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "refresh_from_db"):
                item.refresh_from_db()
                if hasattr(item, "user"):
                    item.user.refresh_from_db()
    return markers


def rows_and_roles(world):
    """For each operation's rows: a role it succeeds for, a role it refuses, anonymous."""
    for operation in OPERATIONS:
        for row in ROWS_BY_OPERATION[operation]:
            roles = [r for r in row.expected if r == "anonymous" or hasattr(world, r)]
            succeeding = [r for r in roles if 200 <= row.expected[r] < 300]
            refused = [r for r in roles if row.expected[r] >= 400 and r != "anonymous"]
            for role in {*succeeding[:1], *refused[:1], "anonymous"}:
                yield row, role


def mail_link_values(pattern: str) -> list[str]:
    return [m for message in mail.outbox for m in re.findall(pattern, message.body)]


def personal_calls(rec: Recorder, w, run_tasks) -> None:
    """The operations that take personal data, each with markers of its own, and their
    refusals (which echo the input in their bodies)."""
    m = rec.markers
    new = {
        "email": f"{MARK}.new@example.org",
        "password": f"{MARK}-Sign-Up-Pass-71",
        "first_name": f"{MARK}newfirst",
        "last_name": f"{MARK}newlast",
        "date_of_birth": "1990-01-01",
    }
    m |= set(new.values()) - {"1990-01-01"}
    rec.send(None, "post", f"{V1}/auth/register/patient/", new)
    doctor = {**new, "email": f"{MARK}.doc@example.org", "license_number": f"{MARK}LIC77"}
    doctor["specialty"] = w.doctor.specialty.slug
    m |= {doctor["email"], doctor["license_number"]}
    rec.send(None, "post", f"{V1}/auth/register/doctor/", doctor)
    invalid = {**new, "email": f"{MARK}-not-an-email", "first_name": MARK + "x" * 200}
    m.add(invalid["email"])
    rec.send(None, "post", f"{V1}/auth/register/patient/", invalid)
    run_tasks()
    confirm_tokens = mail_link_values(r"token=([\w:-]+)")
    assert len(confirm_tokens) == 2, mail.outbox  # the new patient's and the new doctor's
    for token in confirm_tokens:
        m.add(token)
        confirmed = rec.send(None, "post", f"{V1}/auth/email/confirm/", {"token": token})
        assert confirmed.status_code == 200, confirmed.content
    rec.send(None, "post", f"{V1}/auth/email/confirm/", {"token": f"{MARK}-bad-token"})
    m.add(f"{MARK}-bad-token")

    # Wrong passwords until the lockout, then the right one (refused while locked).
    for _ in range(6):
        rec.send(
            None, "post", f"{V1}/auth/login/", {"email": new["email"], "password": "qzvmarkWrong1"}
        )
    m.add("qzvmarkWrong1")
    rec.send(
        None, "post", f"{V1}/auth/login/", {"email": new["email"], "password": new["password"]}
    )
    login = rec.send(
        None,
        "post",
        f"{V1}/auth/login/",
        {"email": w.other_patient.user.email, "password": PASSWORD},
    )
    refresh = login.json()["refresh"]
    rotated = rec.send(None, "post", f"{V1}/auth/token/refresh/", {"refresh": refresh})
    rec.send(None, "post", f"{V1}/auth/token/refresh/", {"refresh": refresh})  # reused
    rec.send(
        w.other_patient.user, "post", f"{V1}/auth/logout/", {"refresh": rotated.json()["refresh"]}
    )

    mail.outbox.clear()
    rec.send(None, "post", f"{V1}/auth/password/reset/", {"email": w.patient.user.email})
    rec.send(None, "post", f"{V1}/auth/email/resend/", {"email": f"{MARK}.nobody@example.org"})
    m.add(f"{MARK}.nobody@example.org")
    run_tasks()
    [(uid, token)] = mail_link_values(r"uid=([\w-]+)&(?:amp;)?token=([\w-]+)")
    m |= {uid, token}
    reset = rec.send(
        None,
        "post",
        f"{V1}/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": f"{MARK}-Reset-Pass-52"},
    )
    assert reset.status_code == 200, reset.content
    m.add(f"{MARK}-Reset-Pass-52")
    user = w.patient.user
    user.refresh_from_db()
    rec.send(
        user,
        "post",
        f"{V1}/auth/password/change/",
        {"current_password": f"{MARK}-Reset-Pass-52", "new_password": f"{MARK}-Changed-Pass-3"},
    )
    rec.send(
        user,
        "post",
        f"{V1}/auth/password/change/",
        {"current_password": f"{MARK}-Wrong-Current", "new_password": "short"},
    )
    m |= {f"{MARK}-Changed-Pass-3", f"{MARK}-Wrong-Current"}
    user.refresh_from_db()

    edits = {"first_name": f"{MARK}edited", "phone": "+49 30 5550123"}
    m |= set(edits.values())
    rec.send(user, "patch", f"{V1}/auth/me/", edits)
    rec.send(user, "patch", f"{V1}/auth/me/", {"phone": f"{MARK}-not-a-phone-" + "9" * 40})
    rec.send(user, "patch", f"{V1}/patients/me/", {"address": f"{MARK} new address 5"})
    m.add(f"{MARK} new address 5")

    history = f"{V1}/patients/{w.patient.pk}/history/"
    entry = {"entry_type": "note", "title": f"{MARK}newtitle", "details": f"{MARK}newdetails"}
    m |= {entry["title"], entry["details"]}
    created = rec.send(w.doctor.user, "post", history, entry)
    rec.send(w.doctor.user, "post", history, {**entry, "icd10_code": f"{MARK}X"})
    assert created.status_code == 201, created.content
    # An amendment is a new, complete entry (it never ran while this body lacked entry_type).
    amend = {"entry_type": "note", "title": f"{MARK}amended", "details": f"{MARK}amend-why"}
    m |= {amend["title"], amend["details"]}
    amended = rec.send(w.doctor.user, "post", f"{history}{created.json()['id']}/amend/", amend)
    assert amended.status_code == 201, amended.content
    rec.send(
        w.doctor.user,
        "post",
        f"{V1}/patients/{w.patient.pk}/break-glass/",
        {"reason": f"{MARK}emergency"},
    )
    m.add(f"{MARK}emergency")

    slot = SlotFactory(doctor=w.doctor, clinic=w.clinic, start=in_hours(24 * 9))
    booking = {"slot": str(slot.pk), "notes": f"{MARK}booking-note"}
    m.add(booking["notes"])
    booked = rec.send(w.other_patient.user, "post", f"{V1}/appointments/", booking)
    assert booked.status_code == 201, booked.content
    reason = f"{MARK}cancel-reason"
    m.add(reason)
    cancelled = rec.send(
        w.other_patient.user,
        "post",
        f"{V1}/appointments/{booked.json()['id']}/cancel/",
        {"reason": reason},
    )
    assert cancelled.status_code == 200, cancelled.content
    review = {"appointment": str(w.completed_appointment.pk), "rating": 5}
    review["comment"] = f"{MARK}new-review"
    m.add(review["comment"])
    rec.send(w.patient.user, "post", f"{V1}/reviews/", review)

    for path in (
        f"{V1}/patients/?search={MARK}.mail1%40example.org",
        f"{V1}/users/?search={MARK}first2",
        f"{V1}/doctors/?search={MARK}last3",
        f"{V1}/patients/?page={MARK}page",
        f"{V1}/patients/?search={MARK}nul%00",
    ):
        rec.send(w.platform_admin, "get", path)
    m |= {f"{MARK}page", f"{MARK}nul"}
    feed = rec.send(w.patient.user, "post", f"{V1}/calendar-feeds/", {"role": "patient"})
    assert rec.feed_paths
    for path in sorted(rec.feed_paths):
        rec.send(None, "get", path)
    rec.send(None, "get", f"{V1}/calendar/{MARK}feedtoken.ics")
    m.add(f"{MARK}feedtoken")
    assert feed.status_code == 201, feed.content
    rec.send(
        w.patient.user,
        "get",
        f"{V1}/auth/me/",
        HTTP_X_REQUEST_ID=f"{MARK}\n<script>" + "x" * 300,
    )
    run_tasks()


def test_no_operation_logs_patient_data(client_for, request, run_tasks, settings):
    settings.PAYMENT_WEBHOOK_SECRET = "configured"
    settings.TRUSTED_PROXY_COUNT = 1  # X-Request-ID is read, and must be checked
    # The records world is the shared world plus history entries: every row's path resolves.
    w = request.getfixturevalue("records_world")
    markers = mark_the_world(w)
    rec = Recorder(client_for, markers)
    with LogCapture() as capture:
        for row, role in rows_and_roles(w):
            with transaction.atomic():  # each row meets the world as it was built
                rec.requests += 1
                rec.keep_secrets(call(client_for, w, row, role))
                transaction.set_rollback(True)
        run_tasks()
        personal_calls(rec, w, run_tasks)

    events = capture.events()
    requests = [e for e in events if e["event"] == "request"]
    assert len(requests) == rec.requests  # every request logged once, as JSON
    assert all(e["route"].startswith("/") and e["request_id"] for e in requests)
    assert {e["status"] // 100 for e in requests} >= {2, 4}
    # Both the worker's and Django's request loggers wrote, and were scanned.
    assert any(e["logger"] == "careslot.worker" for e in events)
    assert any(e["logger"] == "django.request" for e in events)
    assert len(markers) > 100
    for name in ("json", "plain"):
        logged = capture.text(name).lower()
        leaks = sorted(m for m in markers if m.lower() in logged)
        assert leaks == [], f"{len(leaks)} value(s) leaked into the {name} logs: {leaks[:10]}"
        assert MARK not in logged
        assert not JWT.search(capture.text(name)), "a JWT reached the logs"


def test_the_scan_finds_a_leak(client_for, world):
    """The capture above sees what a careless log call would write."""
    with LogCapture() as capture:
        logging.getLogger("careslot.test").warning("login failed for %s", f"{MARK}@example.org")
        structlog.get_logger("careslot.test").info("booked", notes=f"{MARK}note")
    assert f"{MARK}@example.org" in capture.text("json")
    assert f"{MARK}note" in capture.text("plain")
    assert str(uuid.UUID(int=0)) not in capture.text("json")

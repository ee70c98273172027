"""Review endpoints x roles -> status (patients review, admins moderate, all read)."""

import pytest

from tests.authz import Endpoint, cases, check, expect

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"
# Only the author edits or deletes; everyone else who can see the review is refused.
AUTHOR_ONLY = expect(403, patient=200)
# Everyone but the author and platform admins: a hidden review does not exist for them.
HIDDEN_AUTHOR_ONLY = expect(404, patient=200, platform_admin=403)
MODERATOR_ONLY = expect(403, platform_admin=200)

ENDPOINTS = [
    Endpoint("reviews-list", "GET", lambda w: f"{V1}/reviews/?doctor={w.doctor.pk}", expect(200)),
    Endpoint(
        "reviews-list-hidden",
        "GET",
        lambda w: f"{V1}/reviews/?is_hidden=true",
        expect(200),
    ),
    Endpoint(
        "reviews-mine",
        "GET",
        lambda w: f"{V1}/reviews/mine/",
        expect(403, patient=200, other_patient=200),
    ),
    Endpoint("reviews-detail", "GET", lambda w: f"{V1}/reviews/{w.review.pk}/", expect(200)),
    Endpoint(
        "reviews-detail-hidden",
        "GET",
        lambda w: f"{V1}/reviews/{w.hidden_review.pk}/",
        expect(404, patient=200, platform_admin=200),
    ),
    Endpoint(
        "reviews-create",
        "POST",
        lambda w: f"{V1}/reviews/",
        # Non-patients are refused outright; another patient cannot see the appointment.
        expect(403, patient=201, other_patient=404),
        body=lambda w: {"appointment": str(w.completed_appointment.pk), "rating": 5},
    ),
    Endpoint(
        "reviews-update",
        "PATCH",
        lambda w: f"{V1}/reviews/{w.review.pk}/",
        AUTHOR_ONLY,
        body=lambda w: {"rating": 5},
    ),
    Endpoint(
        "reviews-update-hidden",
        "PATCH",
        lambda w: f"{V1}/reviews/{w.hidden_review.pk}/",
        HIDDEN_AUTHOR_ONLY,
        body=lambda w: {"comment": "Rewritten"},
    ),
    Endpoint(
        "reviews-delete",
        "DELETE",
        lambda w: f"{V1}/reviews/{w.review.pk}/",
        expect(403, patient=204),
    ),
    Endpoint(
        "reviews-delete-hidden",
        "DELETE",
        lambda w: f"{V1}/reviews/{w.hidden_review.pk}/",
        # The author sees it but may not delete it: that would escape moderation.
        expect(404, patient=409, platform_admin=403),
    ),
    Endpoint(
        "reviews-hide",
        "POST",
        lambda w: f"{V1}/reviews/{w.review.pk}/hide/",
        MODERATOR_ONLY,
        body=lambda w: {"reason": "Personal data in the comment"},
    ),
    Endpoint(
        "reviews-unhide",
        "POST",
        lambda w: f"{V1}/reviews/{w.hidden_review.pk}/unhide/",
        MODERATOR_ONLY,
        body=lambda w: {"reason": "Appeal upheld"},
    ),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_review_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)

import pytest

from reviews.models import Review, ReviewModerationEvent
from tests.errors import assert_error
from tests.reviews.helpers import URL, fresh_aggregate, stored

pytestmark = pytest.mark.django_db


def test_platform_admin_hides_a_review_with_a_reason(client_for, world):
    response = client_for(world.platform_admin).post(
        f"{URL}{world.review.pk}/hide/", {"reason": "Names another patient"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_hidden"] is True
    assert body["hidden_reason"] == "Names another patient"
    assert body["hidden_by"] == str(world.platform_admin.pk)
    assert body["hidden_at"]
    assert body["patient"] == str(world.patient.pk)
    assert stored(world.doctor) == fresh_aggregate(world.doctor) == (None, 0)
    event = ReviewModerationEvent.objects.filter(review=world.review).get()
    assert (event.action, event.reason, event.moderator) == (
        "hide",
        "Names another patient",
        world.platform_admin,
    )
    listed = client_for(world.other_patient.user).get(f"{URL}?doctor={world.doctor.pk}")
    assert listed.json()["count"] == 0


def test_unhide_clears_the_hiding_and_logs_it(client_for, world):
    response = client_for(world.platform_admin).post(
        f"{URL}{world.hidden_review.pk}/unhide/", {"reason": "Link removed by the author"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["is_hidden"], body["hidden_reason"], body["hidden_by"], body["hidden_at"]) == (
        False,
        "",
        None,
        None,
    )
    assert [
        (e.action, e.reason)
        for e in ReviewModerationEvent.objects.filter(review=world.hidden_review)
    ] == [("hide", "Advertising"), ("unhide", "Link removed by the author")]
    assert stored(world.doctor) == fresh_aggregate(world.doctor)
    assert world.doctor.review_count == 2


def test_hiding_twice_or_unhiding_a_visible_review_conflicts(client_for, world):
    admin = client_for(world.platform_admin)
    assert_error(
        admin.post(f"{URL}{world.hidden_review.pk}/hide/", {"reason": "Again"}),
        409,
        "review_already_hidden",
    )
    assert_error(admin.post(f"{URL}{world.review.pk}/unhide/"), 409, "review_not_hidden")
    assert ReviewModerationEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "required"), ({"reason": ""}, "blank"), ({"reason": "x" * 501}, "max_length")],
)
def test_hiding_needs_a_reason(client_for, world, body, code):
    response = client_for(world.platform_admin).post(f"{URL}{world.review.pk}/hide/", body)
    assert_error(response, 400, code, attr="reason")
    assert not Review.objects.get(pk=world.review.pk).is_hidden


def test_authors_edit_and_delete_their_own_review(client_for, world):
    client = client_for(world.patient.user)
    response = client.patch(f"{URL}{world.review.pk}/", {"rating": 2, "comment": ""})
    assert response.status_code == 200, response.content
    assert (response.json()["rating"], response.json()["comment"]) == (2, "")
    assert stored(world.doctor) == (2, 1)
    assert_error(
        client.patch(f"{URL}{world.review.pk}/", {"rating": 0}), 400, "min_value", "rating"
    )
    assert client.delete(f"{URL}{world.review.pk}/").status_code == 204
    assert not Review.objects.filter(pk=world.review.pk).exists()
    assert stored(world.doctor) == (None, 0)
    assert_error(client.delete(f"{URL}{world.review.pk}/"), 404, "not_found")


def test_a_hidden_review_cannot_be_deleted_and_rewritten_to_escape_moderation(client_for, world):
    review = world.hidden_review
    client = client_for(review.patient.user)
    assert_error(client.delete(f"{URL}{review.pk}/"), 409, "review_hidden")
    again = client.post(URL, {"appointment": str(review.appointment_id), "rating": 5})
    assert_error(again, 409, "review_exists")

    # The author may still edit it; the moderation decision and its log stay.
    response = client.patch(f"{URL}{review.pk}/", {"rating": 5, "comment": "Rewritten"})
    assert response.status_code == 200, response.content
    review.refresh_from_db()
    assert (review.is_hidden, review.hidden_reason, review.comment) == (
        True,
        "Advertising",
        "Rewritten",
    )
    assert ReviewModerationEvent.objects.filter(review=review).count() == 1
    assert stored(world.doctor) == fresh_aggregate(world.doctor)


def test_once_shown_again_the_author_may_delete_it(client_for, world):
    review = world.hidden_review
    unhidden = client_for(world.platform_admin).post(f"{URL}{review.pk}/unhide/")
    assert unhidden.status_code == 200, unhidden.content
    assert client_for(review.patient.user).delete(f"{URL}{review.pk}/").status_code == 204
    assert not Review.objects.filter(pk=review.pk).exists()

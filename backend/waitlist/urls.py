from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import WaitlistEntryViewSet, WaitlistLengthView

router = SimpleRouter()
router.register("waitlist", WaitlistEntryViewSet, basename="waitlist-entry")
urlpatterns = [
    path("waitlist/lengths/", WaitlistLengthView.as_view(), name="waitlist-lengths"),
    *router.urls,
]

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .views import CalendarFeedView, CalendarFeedViewSet

router = SimpleRouter()
router.register("calendar-feeds", CalendarFeedViewSet, basename="calendar-feed")
urlpatterns = [
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{1,128})\.ics$",
        CalendarFeedView.as_view(),
        name="calendar-feed-ics",
    ),
    *router.urls,
]

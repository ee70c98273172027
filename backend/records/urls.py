from django.urls import path
from rest_framework.routers import SimpleRouter

from common.serializers import UUID_PATTERN

from .views import AccessLogView, BreakGlassView, MyHistoryView, PatientHistoryViewSet

router = SimpleRouter()
router.register(
    rf"patients/(?P<patient_id>{UUID_PATTERN})/history",
    PatientHistoryViewSet,
    basename="patient-history",
)
urlpatterns = [
    path("history/mine/", MyHistoryView.as_view(), name="my-history"),
    path(
        "patients/<uuid:patient_id>/access-log/",
        AccessLogView.as_view(),
        name="patient-access-log",
    ),
    path(
        "patients/<uuid:patient_id>/break-glass/",
        BreakGlassView.as_view(),
        name="patient-break-glass",
    ),
    *router.urls,
]

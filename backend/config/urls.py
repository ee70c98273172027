from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from common.views import healthz, metrics_view, readyz

api_v1 = [
    path("", include("registration.urls")),
    path("auth/", include("accounts.urls")),
    path("", include("clinics.urls")),
    path("", include("doctors.urls")),
    path("", include("directory.urls")),
    path("", include("patients.urls")),
    path("", include("scheduling.urls")),
    path("", include("appointments.urls")),
    path("", include("loyalty.urls")),
    path("", include("reports.urls")),
    path("", include("reviews.urls")),
    path("", include("records.urls")),
    path("", include("calendars.urls")),
    path("", include("waitlist.urls")),
    path("", include("administration.urls")),
    path("", include("webhooks.urls")),
    path("", include("integrations.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("fhir/r4/", include("fhir_r4.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"

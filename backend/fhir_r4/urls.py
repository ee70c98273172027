"""/fhir/r4/: FHIR-style paths (no trailing slash), one search and one read route per type."""

from django.urls import path, re_path

from . import views
from .registry import RESOURCE_TYPES

FHIR_ID = r"(?P<pk>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    path("$bulk-publish", views.BulkPublishView.as_view(), name="fhir-bulk-publish"),
    path(
        "$bulk-publish/Location.ndjson",
        views.PublishedLocationsView.as_view(),
        name="fhir-published-locations",
    ),
    path(
        "$bulk-publish/Schedule.ndjson",
        views.PublishedSchedulesView.as_view(),
        name="fhir-published-schedules",
    ),
    path(
        "$bulk-publish/Slot-<str:day>.ndjson",
        views.PublishedSlotsView.as_view(),
        name="fhir-published-slots",
    ),
]
for resource_type in RESOURCE_TYPES:
    name = resource_type.name
    urlpatterns += [
        path(name, views.search_view(name), name=f"fhir-{name.lower()}-search"),
        re_path(rf"^{name}/{FHIR_ID}$", views.read_view(name), name=f"fhir-{name.lower()}-read"),
    ]
urlpatterns.append(re_path(r"^.*$", views.UnknownView.as_view(), name="fhir-unknown"))

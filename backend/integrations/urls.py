from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import IntegrationClientViewSet, TokenView

router = SimpleRouter()
router.register("integration-clients", IntegrationClientViewSet, basename="integration-client")
urlpatterns = [
    path("oauth/token/", TokenView.as_view(), name="integration-token"),
    *router.urls,
]

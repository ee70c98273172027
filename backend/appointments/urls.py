from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AppointmentViewSet
from .webhooks import PaymentWebhookView

router = SimpleRouter()
router.register("appointments", AppointmentViewSet, basename="appointment")
urlpatterns = [
    path("payments/webhook/", PaymentWebhookView.as_view(), name="payment-webhook"),
    *router.urls,
]

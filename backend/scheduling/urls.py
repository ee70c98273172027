from rest_framework.routers import SimpleRouter

from .views import AvailableSlotViewSet, SlotViewSet, VisitTypeViewSet

router = SimpleRouter()
router.register("slots/available", AvailableSlotViewSet, basename="available-slot")
router.register("slots", SlotViewSet, basename="slot")
router.register("visit-types", VisitTypeViewSet, basename="visit-type")
urlpatterns = router.urls

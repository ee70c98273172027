from rest_framework.routers import SimpleRouter

from .views import AvailableSlotViewSet, SlotViewSet

router = SimpleRouter()
router.register("slots/available", AvailableSlotViewSet, basename="available-slot")
router.register("slots", SlotViewSet, basename="slot")
urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from .views import DoctorViewSet, SpecialtyViewSet

router = SimpleRouter()
router.register("doctors", DoctorViewSet, basename="doctor")
router.register("specialties", SpecialtyViewSet, basename="specialty")
urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from .views import DependentViewSet, PatientViewSet

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("dependents", DependentViewSet, basename="dependent")
urlpatterns = router.urls

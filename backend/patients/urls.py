from rest_framework.routers import SimpleRouter

from .views import DependentViewSet, PatientViewSet, ProxyGrantViewSet

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("dependents", DependentViewSet, basename="dependent")
router.register("proxy-grants", ProxyGrantViewSet, basename="proxy-grant")
urlpatterns = router.urls

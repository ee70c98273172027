from rest_framework.routers import SimpleRouter

from .views import AssociationViewSet, ClinicViewSet

router = SimpleRouter()
router.register("clinics", ClinicViewSet, basename="clinic")
router.register("doctor-clinic-associations", AssociationViewSet, basename="association")
urlpatterns = router.urls

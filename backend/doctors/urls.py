from rest_framework.routers import SimpleRouter

from .views import SpecialtyViewSet

router = SimpleRouter()
router.register("specialties", SpecialtyViewSet, basename="specialty")
urlpatterns = router.urls

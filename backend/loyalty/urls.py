from rest_framework.routers import SimpleRouter

from .views import PointsViewSet

router = SimpleRouter()
router.register("points", PointsViewSet, basename="points")
urlpatterns = router.urls

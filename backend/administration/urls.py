from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("users", views.UserAdminViewSet, basename="admin-user")
router.register("admin-actions", views.AdminActionLogViewSet, basename="admin-action")
router.register("failed-tasks", views.FailedTaskViewSet, basename="failed-task")

urlpatterns = [
    *router.urls,
    path("users/<uuid:user_id>/roles/", views.UserRolesView.as_view(), name="user-roles"),
    path(
        "users/<uuid:user_id>/roles/<str:role>/",
        views.UserRoleDetailView.as_view(),
        name="user-role-detail",
    ),
]

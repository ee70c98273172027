from django.urls import path

from . import views

urlpatterns = [
    path("users/<uuid:user_id>/roles/", views.UserRolesView.as_view(), name="user-roles"),
    path(
        "users/<uuid:user_id>/roles/<str:role>/",
        views.UserRoleDetailView.as_view(),
        name="user-role-detail",
    ),
]

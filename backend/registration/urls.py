from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path(
        "auth/register/patient/",
        views.PatientRegistrationView.as_view(),
        name="register-patient",
    ),
    path("auth/register/doctor/", views.DoctorRegistrationView.as_view(), name="register-doctor"),
]

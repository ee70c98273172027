from django.urls import path

from . import views

urlpatterns = [
    path("reports/bookings/", views.BookingsReportView.as_view(), name="report-bookings"),
    path("reports/revenue/", views.RevenueReportView.as_view(), name="report-revenue"),
    path(
        "reports/user-activity/",
        views.UserActivityReportView.as_view(),
        name="report-user-activity",
    ),
    path("reports/doctors/", views.DoctorsReportView.as_view(), name="report-doctors"),
    path("reports/me/", views.MyReportView.as_view(), name="report-me"),
]

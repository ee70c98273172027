from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("email/confirm/", views.EmailConfirmView.as_view(), name="email-confirm"),
    path("email/resend/", views.EmailResendView.as_view(), name="email-resend"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/mfa/", views.LoginMfaView.as_view(), name="login-mfa"),
    path("mfa/totp/", views.MfaTotpStartView.as_view(), name="mfa-totp"),
    path("mfa/totp/confirm/", views.MfaTotpConfirmView.as_view(), name="mfa-totp-confirm"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("me/", views.MeView.as_view(), name="me"),
]

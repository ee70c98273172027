"""Django's admin for operators (`is_staff`): like the API's staff, they sign in with a second
factor (docs/security.md, "Two-factor sign-in"). django-otp's admin site asks for the code of
a confirmed TOTP device at login and refuses a session not verified by one."""

from django_otp.admin import OTPAdminSite


class CareSlotAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin"):
        # Keeps the `admin:` URL namespace every reverse() and template uses.
        super().__init__(name)

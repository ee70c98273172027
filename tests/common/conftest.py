import pytest

from tests.tasks.smtp import SMTPServer


@pytest.fixture
def refusing_smtp(settings):
    """A real SMTP server (aiosmtpd) that this process sends through and that refuses every
    message with a temporary error (451: the worker retries it)."""
    server = SMTPServer()
    server.mailbox.refuse_with = "451 4.3.0 Try again later"
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()

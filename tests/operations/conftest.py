from tests.tasks.conftest import smtp_server, start_worker  # noqa: F401 (fixtures, used by name)

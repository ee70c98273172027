"""The whole-process-set fault test (`make fault-test`, its own CI step): it starts its own
PostgreSQL cluster, Redis and `make serve`, and restarts them, so the ordinary suite leaves it
out unless CARESLOT_FAULT_TEST is set."""

import os


def _in_fault_tests(item) -> bool:
    return item.path.is_relative_to(os.path.dirname(__file__))


def pytest_collection_modifyitems(config, items) -> None:
    if os.environ.get("CARESLOT_FAULT_TEST"):
        return
    deselected = [item for item in items if _in_fault_tests(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not _in_fault_tests(item)]

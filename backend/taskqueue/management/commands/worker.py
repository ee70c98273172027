"""`manage.py worker`: run background tasks (supervisord.conf's and compose's worker process)."""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from taskqueue.worker import CareSlotWorker


class Command(DBWorkerCommand):
    """django-tasks-db's `db_worker` command with its options (`add_arguments`, which
    tests/tasks/test_upstream.py pins) running our worker."""

    help = (
        "Run background tasks: django-tasks-db's db_worker (same options) with retries, "
        "backoff and a lease on running tasks."
    )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = CareSlotWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child runs tasks
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()

"""The task backend: django-tasks-db's, plus the context a task carries from the request that
enqueued it (its request id and trace context), so the worker's log lines and spans for the
task point back to that request. The context rides in the row's `args_kwargs` beside the
arguments; the task function never sees it."""

import structlog
from django_tasks_db import DatabaseBackend
from django_tasks_db.compat import normalize_json
from opentelemetry import propagate


def enqueuing_context() -> dict:
    """What the current request (or task) passes on to a task it enqueues now."""
    context = {}
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        context["request_id"] = request_id
    propagate.inject(context)  # W3C traceparent, when a span is recording
    return context


class ContextCarryingBackend(DatabaseBackend):
    """django-tasks-db's backend writing the enqueuing context into the task's row, in the same
    single INSERT as its own `_task_to_db_task`.

    django-tasks-db offers no public way to add to a row before it is written (`task_enqueued`
    comes after the INSERT, and an UPDATE there would be a second statement in every request
    that enqueues), so this overrides that one private method. tests/tasks/test_upstream.py
    pins what it relies on: `enqueue` builds the row through `_task_to_db_task(task, args,
    kwargs)`, and this override writes the same columns as upstream's, plus the context."""

    def _task_to_db_task(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult

        args_kwargs = normalize_json({"args": args, "kwargs": kwargs})
        if context := enqueuing_context():
            args_kwargs["context"] = context
        return DBTaskResult.objects.create(
            id=self._get_id(),
            args_kwargs=args_kwargs,
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )


def task_context(db_task) -> dict:
    """The context the enqueuing request left in the task's row (empty for older rows)."""
    context = db_task.args_kwargs.get("context")
    return context if isinstance(context, dict) else {}

"""Tasks queued before their functions moved from tasks.py to services.py (the import cycle
between the two, docs/architecture.md) run under the new path; the worker imports a task by
the path its row names."""

from django.db import migrations

MOVED = [
    ('webhooks.tasks.deliver_webhook', 'webhooks.services.deliver_webhook'),
]


def _rename(pairs):
    return [
        (
            "UPDATE django_tasks_database_dbtaskresult SET task_path = %s "
            "WHERE task_path = %s AND status = 'READY'",
            [new, old],
        )
        for old, new in pairs
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            sql=_rename(MOVED),
            reverse_sql=_rename([(new, old) for old, new in MOVED]),
        ),
    ]

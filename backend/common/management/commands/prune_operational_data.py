"""Delete operational data past its retention period (docs/privacy.md). Run it daily from the
scheduler that runs the platform's jobs (cron, a Kubernetes CronJob); it is safe to run twice."""

from django.core.management.base import BaseCommand

from common.retention import prune_operational_data


class Command(BaseCommand):
    help = "Delete login events, finished tasks, webhook deliveries and holds past retention."

    def handle(self, *args, **options):
        pruned = prune_operational_data()
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in pruned.items()))

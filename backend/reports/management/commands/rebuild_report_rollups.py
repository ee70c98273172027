"""Recompute the report rollups from the appointments (PostgreSQL; elsewhere reports read the
appointments and there is nothing to rebuild)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from reports.rollups import rebuild, rollups_maintained


class Command(BaseCommand):
    help = "Rebuild the report rollups exactly from the appointments."

    def handle(self, *args, **options) -> None:
        if not rollups_maintained():
            self.stdout.write("No rollups on this database: reports read the appointments.")
            return
        with transaction.atomic():
            counts = rebuild()
        for table, rows in counts.items():
            self.stdout.write(f"{table}: {rows} rows")

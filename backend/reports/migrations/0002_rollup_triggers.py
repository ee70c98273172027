from django.db import migrations

from reports.rollups import MaintainReportRollups


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("appointments", "0009_times_storable"),
    ]

    operations = [MaintainReportRollups()]

from django.db import migrations

from common.append_only import forbid_changes


class Migration(migrations.Migration):
    dependencies = [("appointments", "0003_appointment_points_used_and_more")]

    operations = [forbid_changes("appointments_paymentevent")]

from django.db import migrations

from common.append_only import ForbidUpdateAndDelete


class Migration(migrations.Migration):
    dependencies = [("appointments", "0003_appointment_points_used_and_more")]

    operations = [ForbidUpdateAndDelete(model_name="PaymentEvent")]

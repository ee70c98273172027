from django.db import migrations

from common.append_only import ForbidUpdateAndDelete


class Migration(migrations.Migration):
    dependencies = [("administration", "0001_initial")]

    operations = [ForbidUpdateAndDelete(model_name="AdminActionLog")]

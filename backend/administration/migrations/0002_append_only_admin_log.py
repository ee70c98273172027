from django.db import migrations

from common.append_only import forbid_changes


class Migration(migrations.Migration):
    dependencies = [("administration", "0001_initial")]

    operations = [forbid_changes("administration_adminactionlog")]

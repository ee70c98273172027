from django.db import migrations


class Migration(migrations.Migration):
    """AdminActionLog now belongs to the `audit` app; its table is left where it is."""

    dependencies = [("administration", "0002_append_only_admin_log")]
    run_before = [("audit", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AdminActionLog")],
            database_operations=[],
        ),
    ]

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """AdminActionLog moved here from `administration`: the table stays, only the state moves."""

    initial = True

    dependencies = [
        ("administration", "0002_append_only_admin_log"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AdminActionLog",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("action", models.CharField(choices=[("user_activated", "User activated"), ("user_deactivated", "User deactivated"), ("doctor_confirmed", "Doctor confirmed"), ("doctor_rejected", "Doctor rejected"), ("role_granted", "Role granted"), ("role_revoked", "Role revoked"), ("clinic_admin_assigned", "Clinic admin assigned"), ("clinic_admin_removed", "Clinic admin removed")], max_length=32)),
                        ("target_type", models.CharField(max_length=32)),
                        ("target_id", models.UUIDField()),
                        ("reason", models.CharField(blank=True, max_length=500)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("actor", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "administration_adminactionlog",
                        "ordering": ["-created_at", "id"],
                        "indexes": [models.Index(fields=["-created_at"], name="admin_log_created_idx"), models.Index(fields=["target_type", "target_id"], name="admin_log_target_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

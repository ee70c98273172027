# A proxy grant is an invitation to an address first (docs/families.md): the grantee is set
# when the account with that address accepts. Grants made before were accepted at creation.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE patients_proxygrant AS grant_
SET invited_email = lower(account.email),
    invitation_expires_at = grant_.created_at,
    accepted_at = grant_.created_at
FROM accounts_user AS account
WHERE account.id = grant_.grantee_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0004_proxy_grants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="proxygrant", name="proxy_grant_one_open_per_pair"),
        migrations.AddField(
            model_name="proxygrant",
            name="invited_email",
            field=models.EmailField(max_length=254, null=True),
        ),
        migrations.AddField(
            model_name="proxygrant",
            name="invitation_expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="proxygrant",
            name="accepted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="proxygrant",
            name="invited_email",
            field=models.EmailField(max_length=254),
        ),
        migrations.AlterField(
            model_name="proxygrant",
            name="invitation_expires_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="proxygrant",
            name="grantee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="proxy_grants_received",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="proxygrant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("grantee__isnull", False), ("revoked_at__isnull", True)),
                fields=("patient", "grantee"),
                name="proxy_grant_one_open_per_pair",
            ),
        ),
        migrations.AddConstraint(
            model_name="proxygrant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True)),
                fields=("patient", "invited_email"),
                name="proxy_grant_one_invitation_per_pair",
            ),
        ),
        migrations.AddConstraint(
            model_name="proxygrant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("accepted_at__isnull", True), ("grantee__isnull", True)),
                    models.Q(("accepted_at__isnull", False), ("grantee__isnull", False)),
                    _connector="OR",
                ),
                name="proxy_grant_grantee_when_accepted",
            ),
        ),
    ]

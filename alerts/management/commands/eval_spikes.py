"""manage.py eval_spikes [--tune-seeds 1,2,3,4,5] [--seeds 121,...,140] [--format json]

Labelled synthetic traffic (alerts/detect/evaluation.py: generate_events traffic + injected
spikes and drops) -> precision, recall and F1 of our detector and of the seed's V3 rule, side by
side. The V3 rule's two absolute constants are picked on the tuning seeds (its best F1 there);
the figures come from the held-out seeds, which nothing was tuned on. The default held-out
seeds, 121-140, are the ones docs/benchmarks.md reports (run once after the last change; seeds
1-50 and 101-120 served to tune and to check); about 4 minutes.
"""
import itertools
import json
import time

from django.core.management.base import BaseCommand, CommandError

from alerts.detect import evaluation as ev


def _seeds(text: str, name: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise CommandError(f"--{name} must be comma-separated integers (got {text!r})")
    if not seeds:
        raise CommandError(f"--{name} is empty")
    return seeds


V3_GRID = {"min_delta_abs": (2.0, 5.0, 10.0, 20.0, 40.0), "candidate_delta_abs": (2.0,)}


class Command(BaseCommand):
    help = "Precision / recall / F1 of the spike detector vs the seed's V3 rule on labelled synthetic traffic."

    def add_arguments(self, parser):
        parser.add_argument("--tune-seeds", default="1,2,3,4,5")
        parser.add_argument("--seeds", default=",".join(str(s) for s in range(121, 141)),
                            help="held-out seeds the figures come from")
        parser.add_argument("--visitors", type=int, default=ev.VISITS_PER_DAY, help="visits per day")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        tune, held = _seeds(opts["tune_seeds"], "tune-seeds"), _seeds(opts["seeds"], "seeds")
        if set(tune) & set(held):
            raise CommandError("--seeds must not overlap --tune-seeds (report on data nothing was tuned on)")
        if not 1_000 <= opts["visitors"] <= 1_000_000:
            raise CommandError("--visitors must be between 1,000 and 1,000,000")
        t0 = time.monotonic()
        tune_cases = [ev.build_case(s, visitors=opts["visitors"]) for s in tune]
        best = None
        for combo in itertools.product(*V3_GRID.values()):
            params = dict(zip(V3_GRID, combo))
            s = ev.summarise([ev.score(c, ev.run(c, "v3", **params)) for c in tune_cases])
            if best is None or s["f1"] > best[1]["f1"]:
                best = (params, s)
        v3_params = best[0]
        ours_tune = ev.summarise([ev.score(c, ev.run(c, "ours")) for c in tune_cases])
        held_cases = [ev.build_case(s, visitors=opts["visitors"]) for s in held]
        ours = [ev.score(c, ev.run(c, "ours")) for c in held_cases]
        v3 = [ev.score(c, ev.run(c, "v3", **v3_params)) for c in held_cases]
        out = {
            "visits_per_day": opts["visitors"], "tune_seeds": tune, "held_out_seeds": held,
            "events": sum(len(c.events) for c in held_cases),
            "events_by_kind": _by_kind(held_cases),
            "held_out": {"ours": ev.summarise(ours), "v3": ev.summarise(v3)},
            "tuning": {"ours": ours_tune, "v3": best[1]},
            "v3_params": v3_params,
            "seconds": round(time.monotonic() - t0, 1),
        }
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        self.stdout.write(f"held-out seeds {held}: {out['events']} labelled events {out['events_by_kind']}")
        for name in ("ours", "v3"):
            s = out["held_out"][name]
            self.stdout.write(f"  {name:<5} precision {s['precision']:.3f} recall {s['recall']:.3f} F1 {s['f1']:.3f} "
                              f"({s['true_alerts']}/{s['alerts']} alerts true, {s['found']}/{s['events']} events found)")
        self.stdout.write(f"  V3 constants from tuning seeds {tune}: {v3_params}; {out['seconds']} s")


def _by_kind(cases) -> dict:
    counts: dict[str, int] = {}
    for c in cases:
        for e in c.events:
            name = f"{e.direction.lower()}:{e.key.kind}:{e.key.metric}"
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))

"""manage.py serve --host H --port P: the embedded single process.

Only one OS process may open a chDB data path, so in embedded mode this one process owns the
event store and runs everything that touches it: the web server (uvicorn, ASGI, one worker, no
reload), a Celery worker thread (solo pool, in-memory broker), Celery beat as a thread (schedules
from the database, django-celery-beat) and one daemon thread per ``settings.EMBEDDED_THREADS``
entry (e.g. the collector's flusher). Production runs these as separate processes against a
ClickHouse server and Redis instead (README, "Production topology").
"""
import importlib
import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

log = logging.getLogger("untitle.serve")


def load_callable(spec: str):
    module_name, _, func_name = spec.partition(":")
    if not module_name or not func_name:
        raise CommandError(f"EMBEDDED_THREADS entry must be 'module:function', got {spec!r}")
    try:
        return getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise CommandError(f"cannot load {spec!r}: {exc}") from None


class EmbeddedRuntime:
    """The background half of the embedded process: worker, beat and EMBEDDED_THREADS loops."""

    def __init__(self, *, worker: bool = True, beat: bool = True, thread_specs: list[str] | None = None):
        self.stop_event = threading.Event()
        self.want_worker, self.want_beat = worker, beat
        self.thread_specs = list(settings.EMBEDDED_THREADS if thread_specs is None else thread_specs)
        self.worker = None
        self.beat = None
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        from untitle.celery import app

        # Resolve every loop before starting anything, so a typo fails fast and clean.
        loops = [(spec, load_callable(spec)) for spec in self.thread_specs]
        if self.want_worker:
            broker = app.conf.broker_url or ""
            if broker.startswith("memory://"):
                log.info("celery worker: in-process, in-memory broker")
            # WorkController (not app.Worker): it installs no signal handlers, which only the
            # main thread may do; uvicorn keeps those for a clean shutdown.
            self.worker = app.WorkController(
                app=app, pool_cls="solo", concurrency=1, hostname="embedded@%h",
                without_heartbeat=True, without_mingle=True, without_gossip=True, loglevel="INFO",
            )
            t = threading.Thread(target=self.worker.start, name="celery-worker", daemon=True)
            t.start()
            self.threads.append(t)
        if self.want_beat:
            from celery.beat import EmbeddedService

            self.beat = EmbeddedService(app, thread=True,
                                        scheduler_cls="django_celery_beat.schedulers:DatabaseScheduler")
            self.beat.start()
        for spec, fn in loops:
            t = threading.Thread(target=self._run_loop, args=(spec, fn), name=f"embedded:{spec}", daemon=True)
            t.start()
            self.threads.append(t)

    def _run_loop(self, spec, fn) -> None:
        try:
            fn(self.stop_event)
        except Exception:  # a crashed loop must be visible, not silent
            log.exception("embedded thread %s stopped with an error", spec)

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        if self.beat is not None:
            self.beat.stop()
        if self.worker is not None:
            try:
                self.worker.stop(in_sighandler=False, exitcode=0)
            except Exception:
                log.exception("celery worker did not stop cleanly")
        for t in self.threads:
            t.join(timeout)


class Command(BaseCommand):
    help = "Run the embedded single process: web server, Celery worker and beat, and background loops."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="do not run the Celery worker thread")
        parser.add_argument("--no-beat", action="store_true", help="do not run Celery beat")

    def handle(self, *args, **opts):
        import uvicorn

        if not (0 <= opts["port"] <= 65535):
            raise CommandError(f"--port must be 0-65535, got {opts['port']}")
        runtime = EmbeddedRuntime(worker=not opts["no_worker"], beat=not opts["no_beat"])
        config = uvicorn.Config("untitle.asgi:application", host=opts["host"], port=opts["port"],
                                workers=1, reload=False, lifespan="on", log_level="info",
                                access_log=False)
        server = uvicorn.Server(config)
        runtime.start()
        self.stdout.write(f"UNTITLE serving at http://{opts['host']}:{opts['port']}/ "
                          f"(worker={'on' if runtime.worker else 'off'}, beat={'on' if runtime.beat else 'off'}, "
                          f"threads={len(runtime.thread_specs)})")
        self.stdout.flush()
        # uvicorn re-raises the stop signal after its own graceful shutdown, which would kill the
        # process before the worker, beat and loops (e.g. a flusher draining its buffer) stop.
        # These handlers are what it restores and re-raises into: they only let us fall through.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)
        try:
            server.run()
        finally:
            runtime.stop()
            self.stdout.write("UNTITLE stopped: web server, worker, beat and background threads are down")
        if not server.started:
            raise CommandError(f"could not listen on {opts['host']}:{opts['port']}")

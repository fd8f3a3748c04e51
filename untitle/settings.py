"""Settings from the environment (django-environ).

Every setting has a working default for the embedded run (SQLite + chDB under ``var/``, no
Redis); production sets ``DEBUG=false`` and the secrets, and then passes ``check --deploy``.
"""
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
# Site-wide templates, static files and translations travel inside the project package, so an
# installed wheel has them too (apps keep theirs in <app>/templates and <app>/static).
PROJECT_DIR = Path(__file__).resolve().parent

env = environ.Env()
# A .env file is optional; real deployments pass the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Everything the embedded run creates lives under one git-ignored folder.
VAR_DIR = Path(env("UNTITLE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default must start with no configuration; production must set its own key.
_DEV_SECRET = "embedded-only-insecure-key-change-me-in-production-0123456789abcdef"
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET)
EMBEDDED = env.bool("UNTITLE_EMBEDDED", default=SECRET_KEY == _DEV_SECRET)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",           # the OpenAPI schema of the JSON API (untitle/openapi.py)
    "drf_spectacular_sidecar",   # Swagger UI's files served by us: no CDN (CSP, machines without internet)
    "django_celery_beat",
    "axes",
    "tenants",
    "events",
    "insights",
    "messaging",
    "plans",
    "customers",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Korean unless the user chose another language (not the browser's Accept-Language).
    "tenants.middleware.KoreanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "untitle.urls"
WSGI_APPLICATION = "untitle.wsgi.application"
ASGI_APPLICATION = "untitle.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.current_client",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'untitle.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force throttling for 30 minutes: a username+IP pair after 5 failures, and a username
# from any address after 20 (a distributed attacker, or one rotating X-Forwarded-For where the
# app is reachable without the proxy, never repeats an address). The username's own limit is
# higher so one user mistyping on one machine does not lock the account everywhere.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
# The order matters: tenants.lockout.LockoutHandler reads the pair's count first, the username's second.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "tenants.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions expire after two weeks, or at browser close when the user asks.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
STATICFILES_DIRS = [PROJECT_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names need `collectstatic` (production does it at deploy); the embedded run
        # and the tests serve from the finders, where a manifest does not exist.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or EMBEDDED)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Tests and the embedded run serve straight from the finders: no collectstatic step needed.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=EMBEDDED or DEBUG)
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="UNTITLE <no-reply@untitle.local>")
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# --- Production security: on unless this is the embedded/dev run -------------------------
_SECURE = not (DEBUG or EMBEDDED)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_SECURE)
# Load balancers probe /healthz over plain HTTP inside the network: a 301 would fail the check.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_SECURE)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _SECURE
SECURE_HSTS_PRELOAD = _SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=_SECURE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# Proxies whose X-Forwarded-For entries are trusted for the client IP (lockouts, audit log).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
AXES_CLIENT_IP_CALLABLE = "tenants.net.client_ip"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4.x): scripts and styles only from our own static files (no
# inline <script>, on*= handlers or style="" anywhere: tests/test_csp.py reads every template),
# no framing, no plugins. data: images for the charts' exported PNGs; connect-src for htmx and fetch.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # The bundled webfont (static/vendor/pretendard); said explicitly, not left to default-src.
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Services ------------------------------------------------------------------------------
# chdb:///path runs the embedded ClickHouse engine (one owning process, see README);
# http(s)://user:pass@host:8123/db talks to a ClickHouse server.
CLICKHOUSE_URL = env("CLICKHOUSE_URL", default=f"chdb://{VAR_DIR / 'clickhouse'}")
# Empty means "no Redis": the embedded run keeps its buffer, cache and broker in-process.
REDIS_URL = env("REDIS_URL", default="")

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "untitle"}
    )
}

# Celery: Redis broker/backend in production. The embedded run keeps the broker in memory and
# runs the worker and beat as threads of the one process that owns the chDB store.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
# Every task has a hard time limit, and Redis hands an unacknowledged task to another worker only
# after the visibility timeout (kombu's default: one hour): the timeout must outlast the longest
# limit, or a task still running is started a second time, and should not be much longer, or a
# task of a worker killed -9 waits that long. Campaign sends and the nightly refit of every
# client are the long ones (1M recipients at ~600 messages/s, docs/benchmarks.md#campaign-send,
# is ~28 minutes); everything else is done in minutes.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_LONG_TASK_TIME_LIMIT = env.int("CELERY_LONG_TASK_TIME_LIMIT", default=45 * 60)
CELERY_TASK_ANNOTATIONS = {
    name: {"time_limit": CELERY_LONG_TASK_TIME_LIMIT, "soft_time_limit": CELERY_LONG_TASK_TIME_LIMIT - 60}
    for name in ("messaging.campaign_send", "messaging.campaign_recurring", "customers.tasks.refit_all")
}
# Margin for the worker to notice the hard limit and acknowledge (tests/test_platform_hardening.py
# checks every registered task against it). Celery's Redis caveats ask for the same value for
# the result backend (docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html).
_VISIBILITY_TIMEOUT = max(CELERY_TASK_TIME_LIMIT, CELERY_LONG_TASK_TIME_LIMIT) + 5 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": _VISIBILITY_TIMEOUT}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Static entries; the DatabaseScheduler copies them into its tables when beat starts, so operators
# can still move or disable them in the admin. 18:30 UTC = 03:30 Asia/Seoul, after the day's orders.
from celery.schedules import crontab  # noqa: E402  (only for the schedule below)

CELERY_BEAT_SCHEDULE = {
    "customers-nightly-refit": {"task": "customers.tasks.refit_all", "schedule": crontab(minute=30, hour=18)},
    # Traffic spike and drop scan of every active client (alerts.tasks fans out per client).
    "alerts-scan-every-5-minutes": {"task": "alerts.tasks.scan_all", "schedule": 5 * 60.0},
    # Cafe24 refresh tokens die after 14 idle days: renew them daily ahead of that (04:00 KST).
    "messaging-cafe24-token-upkeep": {"task": "messaging.cafe24_token_upkeep", "schedule": crontab(minute=0, hour=19)},
    # Every shop's SDK script tag checked against this deployment's src (drift repaired by PUT).
    "messaging-cafe24-scripttags-sync": {"task": "messaging.cafe24_scripttags_sync",
                                         "schedule": crontab(minute=15, hour=19)},
}

# Gemini (the `gemini` package): no key = every engine answers offline.
GEMINI_API_KEY = env("GEMINI_API_KEY", default="")
GEMINI_MODEL = env("GEMINI_MODEL", default="gemini-3.5-flash")  # 2.5-flash shut down 2026-06-17 (gemini/client.py)
# Empty = Google's endpoint; a URL points our real client at a proxy or a local fake.
GEMINI_BASE_URL = env("GEMINI_BASE_URL", default="") or None
# Seconds one request may take; corrections of one answer share twice that.
GEMINI_TIMEOUT = env.float("GEMINI_TIMEOUT", default=20.0)
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
CAFE24_CLIENT_ID = env("CAFE24_CLIENT_ID", default="")
CAFE24_CLIENT_SECRET = env("CAFE24_CLIENT_SECRET", default="")
FCM_CREDENTIALS = env("FCM_CREDENTIALS", default="")
# Messaging (messaging/): API bases are templates so staging and tests can point our real
# clients at a local fake; the webhook key is what Cafe24 sends with each webhook.
CAFE24_API_BASE = env("CAFE24_API_BASE", default="https://{mall_id}.cafe24api.com")
CAFE24_WEBHOOK_KEY = env("CAFE24_WEBHOOK_KEY", default="")
# Seconds an order webhook waits for the SDK's own order lines before it records the order itself
# (in-app browsers where the SDK cannot run); the SDK's lines, when they come, win.
CAFE24_ORDER_WEBHOOK_GRACE_SECONDS = env.int("CAFE24_ORDER_WEBHOOK_GRACE_SECONDS", default=600)
FCM_BASE_URL = env("FCM_BASE_URL", default="https://fcm.googleapis.com")
ALIMTALK_PRICE_KRW = env.int("ALIMTALK_PRICE_KRW", default=9)  # per message, for "cost saved"
# Parallel FCM requests per send wave (HTTP/2 multiplexing on one connection pool).
FCM_THREADS = env.int("FCM_THREADS", default=32)
# Seconds one send wave may wait out FCM's QUOTA_EXCEEDED (429 until the per-minute quota refills,
# no Retry-After) before its unsent rows go back to the queue for a later run.
FCM_QUOTA_WAIT_SECONDS = env.float("FCM_QUOTA_WAIT_SECONDS", default=120.0)
# "나에게 테스트 발송" per marketer and hour: a test send skips the audience, so it must not become
# a way to message at will.
CAMPAIGN_TEST_SENDS_PER_HOUR = env.int("CAMPAIGN_TEST_SENDS_PER_HOUR", default=10)
# The Firebase web app's public config ({"apiKey", "projectId", "messagingSenderId", "appId"}) and
# web push key (VAPID) for the subscribe page on our own origin and the marketers' test devices;
# the same values a shop puts in data-firebase / data-vapid. Empty = that page says push is not set up.
FCM_WEB_CONFIG = env.json("FCM_WEB_CONFIG", default={})
FCM_VAPID_KEY = env("FCM_VAPID_KEY", default="")
# Campaign sends: recipients one campaign may reach, deliveries claimed per wave, and how long a
# claimed delivery belongs to its worker before another worker may take it over (a dead worker).
CAMPAIGN_MAX_AUDIENCE = env.int("CAMPAIGN_MAX_AUDIENCE", default=1_000_000)
CAMPAIGN_SEND_WAVE = env.int("CAMPAIGN_SEND_WAVE", default=100)
CAMPAIGN_STALE_CLAIM = timedelta(seconds=env.int("CAMPAIGN_STALE_CLAIM_SECONDS", default=600))
# The demo's "시뮬레이션 (데모 전용)" channel (messaging/sending/simulated.py): nothing leaves the
# server and demo shoppers answer with generated clicks and orders. Only ever in an embedded run:
# `and EMBEDDED` keeps a production deployment from switching it on by mistake.
SIMULATED_CHANNEL = env.bool("SIMULATED_CHANNEL", default=EMBEDDED) and EMBEDDED
# Public base URL of this deployment (SDK snippet, OAuth redirect, links in e-mails).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Webhook receivers on private addresses that outgoing webhooks may still reach (untitle/outbound.py
# refuses loopback, private, link-local and metadata addresses otherwise): host names, addresses
# or networks, comma-separated, e.g. "hooks.corp.internal,10.20.0.0/16". Empty = internet only.
WEBHOOK_ALLOWLIST = env.list("WEBHOOK_ALLOWLIST", default=[])

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON that Python reads but nothing downstream takes (lone surrogates, nesting past the
    # recursion limit) is a 400 parse_error at the door (untitle/body.py); forms as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": ["untitle.body.StrictJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    # Every API error in one body: {"code", "detail", "fields"?, "link"?} (untitle/errors.py).
    "EXCEPTION_HANDLER": "untitle.api_errors.exception_handler",
    # OpenAPI at /api/schema/ with the one error body on every operation (untitle/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "untitle.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "UNTITLE API",
    "DESCRIPTION": "Answers and audiences from a Cafe24 shop's own behavioral data. Errors: README, 'API errors'.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for logged-in users only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["untitle.openapi.drop_slash_aliases"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 403/404/400 is the request's mistake: one line, no traceback (untitle/request_log.py);
    # 5xx keep theirs.
    "filters": {"client_error_one_line": {"()": "untitle.request_log.ClientErrorOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_error_one_line"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Background loops that `manage.py serve` (the embedded single-owner process) runs as threads
# beside the web server, the Celery worker and beat. Each is "module:function(stop_event)".
EMBEDDED_THREADS: list[str] = ["events.ingest.flusher:run_forever"]
# Called with each batch of events once it is committed (events/ingest/flusher.py); a hook only
# enqueues work. customers: one task per batch rescoring who ordered (RFM segments in real time).
EVENT_INSERTED_HOOKS: list[str] = env.list("EVENT_INSERTED_HOOKS", default=["customers.hooks:on_events_inserted"])

# --- Insights (questions, saved queries) -----------------------------------------------------
# Extra ClickHouse settings for every marketer query; may only tighten the built-in read limits
# (events/clickhouse.READ_SETTINGS), never lift readonly. JSON, e.g. {"max_execution_time": 5}.
INSIGHTS_QUERY_SETTINGS: dict = env.json("INSIGHTS_QUERY_SETTINGS", default={})
# Rows a saved-query run keeps in Postgres; a larger audience is kept whole in a ClickHouse table,
# of which the newest few per saved query are kept.
INSIGHTS_RUN_INLINE_ROWS = env.int("INSIGHTS_RUN_INLINE_ROWS", default=1_000)
INSIGHTS_KEPT_RESULT_TABLES = env.int("INSIGHTS_KEPT_RESULT_TABLES", default=3)

# --- Resource limits (untitle/limits.py) -----------------------------------------------------
# Heavy reads (ask, raw SQL, live audience size, segment and raw-event exports) running at once,
# per client and per user; one more answers 429 with Retry-After. PostHog's default is 3 per team.
QUERY_CONCURRENCY_PER_CLIENT = env.int("QUERY_CONCURRENCY_PER_CLIENT", default=3)
QUERY_CONCURRENCY_PER_USER = env.int("QUERY_CONCURRENCY_PER_USER", default=2)
# Seconds a slot stays taken if its request dies without giving it back (streams renew theirs);
# longer than any one query may run (READ_SETTINGS max_execution_time).
QUERY_LEASE_TTL = env.float("QUERY_LEASE_TTL", default=60.0)
# The Retry-After a refused request gets: a slot is held for one query, usually a second or two.
QUERY_RETRY_AFTER = env.int("QUERY_RETRY_AFTER", default=3)

# --- Collector (events/collector/app.py) ----------------------------------------------------
# Durable buffer: "redis" (streams; needs REDIS_URL) or "spool" (fsynced files in VAR_DIR/spool).
COLLECTOR_BUFFER = env("COLLECTOR_BUFFER", default="redis" if REDIS_URL else "spool")
COLLECTOR_SHARDS = env.int("COLLECTOR_SHARDS", default=1)
# Seconds a flusher's per-shard lock lives without renewal (it renews every third of it and
# releases it on a clean stop): after a kill -9 another flusher takes the shard over this soon.
COLLECTOR_FLUSHER_LOCK_TTL = env.float("COLLECTOR_FLUSHER_LOCK_TTL", default=5.0)
# Token bucket per ingest key: generous, so one busy shop is never throttled in normal use.
COLLECTOR_RATE_PER_KEY = env.float("COLLECTOR_RATE_PER_KEY", default=2000.0)
COLLECTOR_BURST_PER_KEY = env.float("COLLECTOR_BURST_PER_KEY", default=4000.0)
# Seconds the collector trusts a cached ingest key / allowed origins before reading Postgres again
# (a deactivated client stops being accepted within this time).
COLLECTOR_CLIENT_CACHE_TTL = env.float("COLLECTOR_CLIENT_CACHE_TTL", default=30.0)

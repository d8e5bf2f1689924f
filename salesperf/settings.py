"""salesperf settings, read from the environment.

Nothing set gives the embedded default: SQLite, Celery tasks run in-process,
e-mail to the console, DEBUG on. Production sets the variables documented in
the README (at least DJANGO_DEBUG=false, DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL).
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from salesperf.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET = "dev-only-insecure-key-change-me-in-production-0123456789abcdef"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "health_check",
    "django_celery_beat",
    "org",
    "notifications",
    "targets",
    "sales",
    "appraisal",
    "rewards",
    "closing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # /api/: a body over the limit → JSON 413; Django's own errors → the API's JSON shape.
    "core.api.ApiErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesperf.urls"
WSGI_APPLICATION = "salesperf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "org.context_processors.navigation",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...)")
    # PostgreSQL's JIT compiles a query before running it: worth it for long analytic
    # queries, 0.2-0.3 s lost on a web request's short ones (a list's page count). Off
    # unless DB_JIT asks for it (a worker running only the close may want it).
    _db["OPTIONS"] = {} if env_bool("DB_JIT", False) else {"options": "-c jit=off"}
    if env_bool("DB_POOL", True):
        # psycopg 3 connection pool, one per process.
        _db["OPTIONS"] |= {
            "pool": {
                "min_size": env_int("DB_POOL_MIN", 1),
                "max_size": env_int("DB_POOL_MAX", 10),
                "timeout": env_int("DB_POOL_TIMEOUT", 10),
            }
        }
    else:
        _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
        _db["CONN_HEALTH_CHECKS"] = True
    DATABASES = {"default": _db}
else:
    (BASE_DIR / "data").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "data" / "salesperf.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

# --- Redis: Celery broker/results and the cache -----------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "salesperf",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A host in the URL, else kombu prints "No hostname was supplied" (nothing listens:
    # the tasks run in the caller).
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    # Embedded default: tasks run in-process, in the caller.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TIMEZONE = env_str("TIME_ZONE", "Asia/Shanghai")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Above the longest expected task so a slow task is not redelivered mid-run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200)}
# The periodic tasks, all in one place (tests/test_beat.py checks each is a task).
# Beat keeps its schedule in the database (django-celery-beat): its first start
# writes every entry below into the admin's "Periodic tasks"
# (/admin/django_celery_beat/), where the department sees when each task last ran
# and changes its time (crontab, in CELERY_TIMEZONE) or expiry, or disables it; the
# changes last, since salesperf.beat only writes an entry that is not there yet
# (delete it in the admin and restart beat to get the default below back). Expiry is
# `expire_seconds` (the database scheduler ignores `expires`): a task not picked up
# by then is dropped, not run late.
CELERY_BEAT_SCHEDULER = "salesperf.beat:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Tell supervisors whose progress reports are missing (once per report period).
    "sales-flag-missing-reports": {
        "task": "sales.flag_missing_reports",
        "schedule": crontab(hour=9, minute=0),
        "options": {"expire_seconds": 6 * 3600},
    },
    # Close every period that has ended (the month; at a quarter's or the fiscal
    # year's end those too) at 00:10 on the 1st. A period already being closed, or
    # closed by hand, is left alone; a failed close is restarted from the close pages.
    "closing-period-ends": {
        "task": "closing.close_due_periods",
        "schedule": crontab(minute=10, hour=0, day_of_month=1),
        "options": {"expire_seconds": 20 * 3600},
    },
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# When set, beat touches this file at every tick (every few seconds): the beat
# container's health check in docker-compose.yml reads its age.
CELERY_BEAT_HEARTBEAT_FILE = env_str("CELERY_BEAT_HEARTBEAT_FILE", "")

# --- Authentication -----------------------------------------------------------
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

# The client's address: REMOTE_ADDR, or behind this many reverse proxies (each
# appending to X-Forwarded-For) the N-th X-Forwarded-For entry from the right.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# Login throttling (django-axes): lock a username together with the client's address
# after repeated failures, so that failures from elsewhere never lock a user out.
AXES_CLIENT_IP_CALLABLE = "salesperf.client_ip.client_ip"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
FORMAT_MODULE_PATH = ["salesperf.formats"]
USE_TZ = True

# --- Static files: vendored from the npm registry, no CDN ----------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if DEBUG:
    # WhiteNoise serves from the finders in development; an empty root keeps it quiet.
    STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "salesperf@localhost")

# --- Security (production) ----------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health probes from the orchestrator come in over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# Content-Security-Policy (django-csp) on every response. No inline script anywhere:
# scripts are static files (a page's data comes in json_script elements, which are
# not run). Styles may be inline (style="width: 40%" on progress bars, the <style>
# htmx and Swagger UI insert); images may be data: URIs (Bootstrap's icons in CSS,
# Swagger UI's). Nothing is loaded from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first so that an anonymous request gets 401 with a WWW-Authenticate challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    # Every error answers one JSON shape: {"detail", "code", "field"?, "errors"?, …}.
    "EXCEPTION_HANDLER": "core.api.api_exception_handler",
}
# The OpenAPI schema and the Swagger UI (/api/schema/, /api/docs/) need a signed-in
# user (session or token) unless this is true.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "salesperf API",
    "DESCRIPTION": "Sales targets, progress, appraisals and rewards. Version 1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io (another origin: the CSP refuses it, and it
    # would send the schema's address out).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents 400/401/403/404 (and 413 with a body) as the `Error` shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_errors",
    ],
}

# /health/ tells anyone whether the site is up; the details (each check, its error)
# need a staff user or this token sent as "Authorization: Bearer <token>" (empty: no
# token accepted).
HEALTH_TOKEN = env_str("HEALTH_TOKEN")

# --- salesperf ---------------------------------------------------------------
# Month (1-12) in which a new fiscal year starts unless one says otherwise.
FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 1)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured("FISCAL_YEAR_START_MONTH must be between 1 and 12")
# Largest organisation or targets file accepted by the imports (bytes).
ORG_IMPORT_MAX_BYTES = env_int("ORG_IMPORT_MAX_BYTES", 5 * 1024 * 1024)

# Children's targets may add up to between these percentages of their parent's
# target when a cascade is published or a team allocation submitted.
TARGET_TOLERANCE_MIN_PCT = env_str("TARGET_TOLERANCE_MIN_PCT", "100")
TARGET_TOLERANCE_MAX_PCT = env_str("TARGET_TOLERANCE_MAX_PCT", "110")
try:
    _band = (Decimal(TARGET_TOLERANCE_MIN_PCT), Decimal(TARGET_TOLERANCE_MAX_PCT))
except InvalidOperation as exc:
    raise ImproperlyConfigured("TARGET_TOLERANCE_MIN_PCT/MAX_PCT must be numbers") from exc
if not (0 < _band[0] <= _band[1]):
    raise ImproperlyConfigured("The target tolerance band needs 0 < MIN_PCT <= MAX_PCT")
# Where last year's actuals come from (a function; the sales app provides it).
TARGETS_ACTUALS_PROVIDER = env_str(
    "TARGETS_ACTUALS_PROVIDER", "sales.records.selectors.monthly_actuals"
)

# Cards shown at the top of the home page, in this order (see org.views.home).
HOME_PANELS = ["sales.attainment.panels.home_panel", "appraisal.results.panels.home_panel"]
# The buttons beside each period on the periods page: the period close's (close,
# follow a close, reopen with a reason). Periods are closed and reopened only through
# the period close (org itself offers no way to move a period's status), so that
# every closed period has its snapshot and every reopening its reason.
PERIOD_BUTTONS_TEMPLATE = "closing/_period_buttons.html"

# django-simple-history: the admin shows an object's history but never "reverts" it
# to an earlier version (a revert would write around the services' rules, e.g. reopen
# a closed period or change a finalised result).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Progress reports are written every week or every month.
SALES_REPORT_FREQUENCY = env_str("SALES_REPORT_FREQUENCY", "weekly")
if SALES_REPORT_FREQUENCY not in ("weekly", "monthly"):
    raise ImproperlyConfigured("SALES_REPORT_FREQUENCY must be weekly or monthly")
# Pace, the share of a target expected by today: "seasonality" follows the monthly
# targets (or the target's seasonality profile) where there are any, else the
# elapsed days; "days" always uses the elapsed days.
SALES_PACE_METHOD = env_str("SALES_PACE_METHOD", "seasonality")
if SALES_PACE_METHOD not in ("seasonality", "days"):
    raise ImproperlyConfigured("SALES_PACE_METHOD must be seasonality or days")
# A person or unit is at risk when the projection to the period's end is below this
# percentage of the target.
SALES_AT_RISK_PCT = env_str("SALES_AT_RISK_PCT", "90")
try:
    if Decimal(SALES_AT_RISK_PCT) <= 0:
        raise ImproperlyConfigured("SALES_AT_RISK_PCT must be above 0")
except InvalidOperation as exc:
    raise ImproperlyConfigured("SALES_AT_RISK_PCT must be a number") from exc
# No at-risk verdict before this percentage of the period has passed ("too early to tell").
SALES_AT_RISK_MIN_ELAPSED_PCT = env_str("SALES_AT_RISK_MIN_ELAPSED_PCT", "25")
try:
    if not 0 <= Decimal(SALES_AT_RISK_MIN_ELAPSED_PCT) <= 100:
        raise ImproperlyConfigured("SALES_AT_RISK_MIN_ELAPSED_PCT must be between 0 and 100")
except InvalidOperation as exc:
    raise ImproperlyConfigured("SALES_AT_RISK_MIN_ELAPSED_PCT must be a number") from exc
# Largest sales or satisfaction import file accepted (bytes).
SALES_IMPORT_MAX_BYTES = env_int("SALES_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# The request size limits follow it, so that the documented limit is the one enforced:
# the largest body Django reads (a bulk push's JSON) is SALES_IMPORT_MAX_BYTES, and an API
# request over it is refused with a JSON 413 naming the limit (core.api.ApiErrorMiddleware).
# Files in a form upload do not count towards it: each import form checks its file's size
# (SALES_IMPORT_MAX_BYTES, ORG_IMPORT_MAX_BYTES) and says so on the form. Uploads larger
# than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file while they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = SALES_IMPORT_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, 2.5 MiB: memory vs. disk only
# A form post of more fields than this is refused (400): the pages' largest forms (a
# team's allocation, a template's dimensions) stay well below; the bulk pushes are JSON.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# A salesperson may appeal a released appraisal result within this many days.
APPRAISAL_APPEAL_DAYS = env_int("APPRAISAL_APPEAL_DAYS", 10)
if APPRAISAL_APPEAL_DAYS < 1:
    raise ImproperlyConfigured("APPRAISAL_APPEAL_DAYS must be at least 1")
# Rewards: the days a person may appeal a released bonus decision, and whether a decision
# someone adjusted needs another member of the department to approve it.
REWARDS_APPEAL_DAYS = env_int("REWARDS_APPEAL_DAYS", 10)
if REWARDS_APPEAL_DAYS < 1:
    raise ImproperlyConfigured("REWARDS_APPEAL_DAYS must be at least 1")
REWARDS_TWO_PERSON_APPROVAL = env_bool("REWARDS_TWO_PERSON_APPROVAL", True)
# Calibration flags a supervisor whose average rated score differs from everyone
# else's by at least this many points.
APPRAISAL_OUTLIER_POINTS = env_str("APPRAISAL_OUTLIER_POINTS", "10")
try:
    if Decimal(APPRAISAL_OUTLIER_POINTS) <= 0:
        raise ImproperlyConfigured("APPRAISAL_OUTLIER_POINTS must be above 0")
except InvalidOperation as exc:
    raise ImproperlyConfigured("APPRAISAL_OUTLIER_POINTS must be a number") from exc
# Peers' ratings are shown as an average only when at least this many peers rated.
APPRAISAL_PEER_MINIMUM = env_int("APPRAISAL_PEER_MINIMUM", 2)

# The period close: its steps, in order (dotted paths of closing.pipeline.Step
# objects; a later app adds its step here), how many people a step handles per
# transaction, and after how long without progress a running close counts as lost
# (above the broker's visibility timeout, so a redelivered task is not raced).
CLOSE_STEPS = [
    "closing.steps.FREEZE",
    "closing.steps.SNAPSHOT",
    "closing.steps.APPRAISAL",
    "closing.steps.REWARDS",
    "closing.steps.NOTIFY",
    "closing.steps.FINISH",
]
CLOSE_BATCH_SIZE = env_int("CLOSE_BATCH_SIZE", 1000)
CLOSE_STALE_SECONDS = env_int(
    "CLOSE_STALE_SECONDS", CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 600
)
# Testing aid only: seconds to pause after each batch, so that the worker-kill test
# can stop a close in the middle. Leave at 0.
CLOSE_BATCH_PAUSE = float(env_str("CLOSE_BATCH_PAUSE", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
LOGGING["loggers"] = {
    "axes": {"level": "WARNING"},
    # Django's default configuration gives its "django" logger a console handler of
    # its own, and the record then also reaches the root's: every line (the dev
    # server's "Watching for file changes", a request error) would print twice. The
    # root's console handler prints it once.
    "django": {"handlers": [], "level": "INFO", "propagate": True},
}
AXES_VERBOSE = False

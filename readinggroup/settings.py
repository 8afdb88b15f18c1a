"""One settings module, driven by environment variables (.env.example, docs/configuration.md).

With no environment at all the site runs on the embedded default: DEBUG on,
SQLite and the Celery filesystem broker under var/, e-mail on the console.
"""

from datetime import timedelta
from pathlib import Path

from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

from readinggroup.envparse import (
    env_admins,
    env_bool,
    env_db_url,
    env_email_url,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", default=str(BASE_DIR / "var")))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY", default="")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[])

if DEBUG:
    SECRET_KEY = SECRET_KEY or "insecure-development-key-do-not-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
elif not SECRET_KEY or not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DEBUG is off: set SECRET_KEY (a long random string) and ALLOWED_HOSTS "
        "(comma-separated host names) in the environment."
    )

SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", default="readinggroup")
# Anonymous visitors may read papers and meetings when this is on.
SITE_PUBLIC = env_bool("SITE_PUBLIC", default=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.syndication",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_htmx",
    "csp",
    "axes",
    "members",
    "papers",
    "meetings",
    "discussions",
    "outbox",
    "backups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in the path or in a page's query string: 400 before any view or query.
    "readinggroup.nul.RejectNulMiddleware",
    # A database that does not answer: 503 "try again shortly" instead of a 500.
    "readinggroup.outage.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "readinggroup.urls"
WSGI_APPLICATION = "readinggroup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "readinggroup.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env_db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Kept connections save a connect per request in production; runserver (DEBUG) starts a thread per
# request, which would only leave connections behind.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", default=0 if DEBUG else 600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    # An unreachable database fails a request (503) after this long instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DB_CONNECT_TIMEOUT", default=5, minimum=2
    )
    # No JIT: a search statement over 1M papers is estimated costly enough to be compiled,
    # which took 40-70 ms of a 10 ms statement (docs/search.md); no query here runs long
    # enough to win it back.
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat share one file without
    # "database is locked" errors under normal load.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery broker ------------------------------------------------
REDIS_URL = env_str("REDIS_URL", default="")
if REDIS_URL:
    # Tolerant of a Redis outage (reads miss, writes are dropped): readinggroup/cache.py.
    _redis_timeout = env_float("REDIS_SOCKET_TIMEOUT", default=0.5)
    CACHES = {
        "default": {
            "BACKEND": "readinggroup.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": _redis_timeout, "socket_timeout": _redis_timeout},
        }
    }
else:
    # A file cache is shared by the web, worker and beat processes (locmem is not).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis hands a task that was not acknowledged (its worker died) to another worker after
    # this many seconds; keep it above the longest task (CELERY_TASK_TIME_LIMIT). Workers look
    # for such tasks every interval * throttle seconds: kombu's 100 s for the default hour,
    # about a quarter of the timeout for short ones.
    _visibility = env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=1)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        "unacked_restore_interval": min(10, max(1, _visibility // 4)),
        "unacked_restore_throttle": min(10, max(1, _visibility // 40)),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail -----------------------------------------------------------------
vars().update(env_email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="readinggroup <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# --- Papers -------------------------------------------------------------------
SUMMARY_BACKEND = env_str("SUMMARY_BACKEND", default="extractive")
SUMMARY_LLM_BASE_URL = env_str("SUMMARY_LLM_BASE_URL", default="")
SUMMARY_LLM_API_KEY = env_str("SUMMARY_LLM_API_KEY", default="")
SUMMARY_LLM_MODEL = env_str("SUMMARY_LLM_MODEL", default="")
SUMMARY_LLM_TIMEOUT = env_int("SUMMARY_LLM_TIMEOUT", default=30)
ARXIV_API_URL = env_str("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
# A paper's vote weight halves every this many days in the "trending" order.
TRENDING_HALF_LIFE_DAYS = env_int("TRENDING_HALF_LIFE_DAYS", default=3)
# The approximate nearest-neighbour index of the paper embeddings on this host's disk
# (`manage.py build_vector_index`; papers.search.vector_index). Without the file, exact search.
VECTOR_INDEX_PATH = Path(env_str("VECTOR_INDEX_PATH", default=str(VAR_DIR / "papers.usearch")))
# The BM25 text index (a directory) on this host's disk (`manage.py build_search_index`;
# papers.search.text_index). Without it, lexical search ranks in the database.
SEARCH_INDEX_PATH = Path(env_str("SEARCH_INDEX_PATH", default=str(VAR_DIR / "search-index")))

# --- Pipeline: fetching and summarising ------------------------------
# Seconds, except FETCH_MAX_BYTES. See docs/sources-and-summaries.md.
FETCH_CHECK_SECONDS = env_int("FETCH_CHECK_SECONDS", default=300, minimum=10)
FETCH_CONNECT_TIMEOUT = env_float("FETCH_CONNECT_TIMEOUT", default=10.0)
FETCH_READ_TIMEOUT = env_float("FETCH_READ_TIMEOUT", default=30.0)
FETCH_TOTAL_TIMEOUT = env_float("FETCH_TOTAL_TIMEOUT", default=120.0)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", default=20_000_000, minimum=1024)
FETCH_RETRIES = env_int("FETCH_RETRIES", default=3)
FETCH_BACKOFF_SECONDS = env_float("FETCH_BACKOFF_SECONDS", default=2.0)
FETCH_BACKOFF_MAX_SECONDS = env_float("FETCH_BACKOFF_MAX_SECONDS", default=60.0)
# arXiv asks for no more than one request every three seconds.
FETCH_ARXIV_INTERVAL_SECONDS = env_float("FETCH_ARXIV_INTERVAL_SECONDS", default=3.0)
FETCH_ARXIV_PAGE_SIZE = env_int("FETCH_ARXIV_PAGE_SIZE", default=100, minimum=1)
# Crossref-compatible metadata for papers added by DOI.
CROSSREF_API_URL = env_str("CROSSREF_API_URL", default="https://api.crossref.org/works")
# A suggested paper's details: tries METADATA_RETRY_SECONDS apart, doubling (at most 10 minutes),
# then the paper says the fetch failed (see papers.tasks.metadata_retry_countdown).
METADATA_RETRY_SECONDS = env_float("METADATA_RETRY_SECONDS", default=30.0)
METADATA_MAX_RETRIES = env_int("METADATA_MAX_RETRIES", default=5)
CELERY_BEAT_SCHEDULE["fetch-due-sources"] = {
    "task": "papers.tasks.fetch_due_sources",
    "schedule": FETCH_CHECK_SECONDS,
}
# Lets two sites (or a test run) share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Papers per summarising task: one for an LLM (each may take SUMMARY_LLM_TIMEOUT), more offline.
SUMMARY_TASK_BATCH = env_int("SUMMARY_TASK_BATCH", default=1 if SUMMARY_BACKEND == "llm" else 50, minimum=1)
# A paper is assigned to a topic when its similarity reaches this (papers.topic_match; 0.2 had
# the best F1 on the labelled set of bench/topics_quality.py). Higher: fewer, surer topics.
TOPIC_THRESHOLD = env_float("TOPIC_THRESHOLD", default=0.2)

# --- REST API -------------------------------------------------------
# Versioned API under /api/v1/ (readinggroup/api_urls.py); see docs/api.md.
API_THROTTLE_RATES = {
    "anon": env_str("API_THROTTLE_ANON", default="60/minute"),
    "user": env_str("API_THROTTLE_USER", default="300/minute"),
    # Login is stricter: counted per client IP address, whatever the outcome.
    "login": env_str("API_THROTTLE_LOGIN", default="5/minute"),
}
for _scope, _rate in API_THROTTLE_RATES.items():
    _count, _, _period = _rate.partition("/")
    if not _count.isdigit() or _period not in {"second", "minute", "hour", "day", "s", "m", "h", "d"}:
        raise ImproperlyConfigured(
            f"API_THROTTLE_{_scope.upper()}={_rate!r}: write N/second, N/minute, N/hour or N/day."
        )
REST_FRAMEWORK = {
    # Tokens first: an anonymous request is answered 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "readinggroup.rest.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["readinggroup.rest.permissions.MemberOrPublicRead"],
    "DEFAULT_THROTTLE_CLASSES": [
        "readinggroup.rest.throttles.AnonThrottle",
        "readinggroup.rest.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": API_THROTTLE_RATES,
    # Client IP for throttling: the address the last trusted proxy saw, never a spoofable header.
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", default=0),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_PARSER_CLASSES": ["readinggroup.rest.parsers.JSONParser"],  # limits before parsing
    "DEFAULT_RENDERER_CLASSES": [
        "readinggroup.rest.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "readinggroup.rest.schema.AutoSchema",
    "EXCEPTION_HANDLER": "readinggroup.rest.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNICODE_JSON": True,
}
# Exports and suggestions, on the pages and in the API alike (readinggroup/rest/throttles.py, end):
# per member when logged in, else per client address. Calendars apart: apps poll every ~15 minutes.
EXPORT_RATE = env_rate("EXPORT_RATE", default="30/hour")  # BibTeX and CSV
CALENDAR_RATE = env_rate("CALENDAR_RATE", default="120/hour")  # iCal feeds; a member's per owner
SUGGEST_RATE = env_rate("SUGGEST_RATE", default="20/hour")  # per member: each queues a fetch
API_PAGE_SIZE = env_int("API_PAGE_SIZE", default=20, minimum=1)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", default=100, minimum=API_PAGE_SIZE)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", default=30, minimum=1)),
    # No refresh on use: authenticating a request then costs one read and never a write.
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "readinggroup API",
    "DESCRIPTION": (
        "The reading group's papers, votes, suggestions, tags, sessions and RSVPs, for mobile "
        "and other clients. Log in with POST /api/v1/auth/login/ and send "
        "`Authorization: Token <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PaperStatusEnum": "papers.models.Paper.Status",
        "RsvpAnswerEnum": "meetings.models.RSVP.Answer",
        "MeetingStatusEnum": "meetings.models.Meeting.Status",
    },
}
# CORS for browser clients on other origins: off until origins are listed.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/"
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# --- Web site -------------------------------------------------------
# Content-Security-Policy on every HTML response: scripts, styles and images
# from the site itself only; templates that really need an inline script get a
# per-request nonce ({{ request.csp_nonce }}), never 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
    }
}
# Login rate limiting (django-axes): 5 failures per username and IP address
# lock that pair out for 30 minutes. The standalone backend must come first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "members.lockout.lockout_response"
# Behind proxies REMOTE_ADDR is the last proxy: say how many append to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "members.lockout.client_ip"
# Signup is by invitation only; an invitation link works for this long.
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day, in seconds
# Web log-in attempts per client address, whatever the username or outcome (django-axes
# counts failures per username and address); password-reset requests per client address
# and, separately, per e-mail address. Counted by readinggroup.rest.throttles, as the API's.
WEB_LOGIN_RATE = env_rate("WEB_LOGIN_RATE", default="10/minute")
PASSWORD_RESET_RATE = env_rate("PASSWORD_RESET_RATE", default="5/hour")
PAGE_SIZE = 30

# --- Sessions, notifications, calendars, feeds -----------------------
from celery.schedules import crontab  # noqa: E402 - kept beside the schedule it builds

# An unsubscribe link in an e-mail works for this long.
UNSUBSCRIBE_MAX_AGE_DAYS = env_int("UNSUBSCRIBE_MAX_AGE_DAYS", default=90)
# The weekly digest goes out on this day at this hour (Celery's time zone, UTC).
DIGEST_WEEKDAY = env_str("DIGEST_WEEKDAY", default="mon")
DIGEST_HOUR = env_int("DIGEST_HOUR", default=7)
# How often beat looks for due reminders and presenter notices.
NOTICE_CHECK_MINUTES = env_int("NOTICE_CHECK_MINUTES", default=10)
try:
    _digest_schedule = crontab(minute=0, hour=DIGEST_HOUR, day_of_week=DIGEST_WEEKDAY)
except ValueError as error:
    raise ImproperlyConfigured(f"DIGEST_WEEKDAY / DIGEST_HOUR: {error}") from None
# PostgreSQL search's word statistics (IDF): new words are counted live until the next run.
CELERY_BEAT_SCHEDULE["papers-refresh-search-terms"] = {
    "task": "papers.tasks.refresh_search_terms",
    "schedule": 60 * 60,
}
# A safety net for changes that queued no update (tags, votes, raw SQL): the text index, where a
# host has one, is at most a minute behind. Without an index the task returns at once.
CELERY_BEAT_SCHEDULE["papers-update-search-index"] = {
    "task": "papers.tasks.update_search_index",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE.update(
    {
        "meetings-send-reminders": {
            "task": "meetings.tasks.send_reminders",
            "schedule": NOTICE_CHECK_MINUTES * 60,
        },
        "meetings-send-presenter-notices": {
            "task": "meetings.tasks.send_presenter_notices",
            "schedule": NOTICE_CHECK_MINUTES * 60,
        },
        "meetings-send-weekly-digest": {
            "task": "meetings.tasks.send_weekly_digest",
            "schedule": _digest_schedule,
        },
    }
)

# --- Discussions ------------------------------------------------------
# Comments a member may post per period ("10/minute"; second, minute, hour or day), and a body's length.
DISCUSSION_RATE = env_rate("DISCUSSION_RATE", default="10/minute")
DISCUSSION_MAX_CHARS = env_int("DISCUSSION_MAX_CHARS", default=10_000, minimum=1)
# An open thread asks for new comments this often (seconds).
DISCUSSION_POLL_SECONDS = env_int("DISCUSSION_POLL_SECONDS", default=20, minimum=2)
# At most one e-mail of new comments per member this often (minutes); beat looks every 5 minutes.
DISCUSSION_EMAIL_MINUTES = env_int("DISCUSSION_EMAIL_MINUTES", default=30, minimum=1)
CELERY_BEAT_SCHEDULE["discussions-send-emails"] = {
    "task": "discussions.tasks.send_discussion_emails",
    "schedule": 60 * min(5, DISCUSSION_EMAIL_MINUTES),
}

# --- Reliability: the task outbox --------------------------------------
# Tasks are queued through the outbox (outbox/): written with the change, published after
# commit with one quick attempt, and relayed later by every worker. Seconds.
OUTBOX_PUBLISH_TIMEOUT = env_float("OUTBOX_PUBLISH_TIMEOUT", default=0.5)
OUTBOX_RELAY_SECONDS = env_float("OUTBOX_RELAY_SECONDS", default=5.0)
OUTBOX_RELAY_MAX_SECONDS = env_float("OUTBOX_RELAY_MAX_SECONDS", default=60.0)
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", default=7, minimum=1)
if not 0 < OUTBOX_PUBLISH_TIMEOUT <= 10 or not 0 < OUTBOX_RELAY_SECONDS <= OUTBOX_RELAY_MAX_SECONDS:
    raise ImproperlyConfigured(
        "OUTBOX_PUBLISH_TIMEOUT must be over 0 and at most 10 seconds, and "
        "OUTBOX_RELAY_SECONDS over 0 and at most OUTBOX_RELAY_MAX_SECONDS."
    )

# --- Security -----------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
# /healthz is probed over plain HTTP by load balancers and compose.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    # axes announces itself at INFO on every start, which clutters command output.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# --- Hardening ----------------------------------------------------------
# Secret URL segments (private calendar, unsubscribe, invitation and password-reset links)
# and API tokens are redacted from every log line the site writes, runserver's request
# lines included (readinggroup/logs.py; gunicorn.conf.py does the same for gunicorn).
LOGGING["filters"] = {"redact_secrets": {"()": "readinggroup.logs.RedactSecrets"}}
LOGGING["handlers"]["console"]["filters"] = ["redact_secrets"]
LOGGING["loggers"]["django.server"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
# Django's own console handler (on with DEBUG) would print django.* lines a second time, unredacted.
LOGGING["loggers"]["django"] = {"handlers": [], "propagate": True}
# At DEBUG the template engine logs every missing variable with the whole template context.
LOGGING["loggers"]["django.template"] = {"level": "INFO"}


# --- Operations: errors, logs, metrics (issue 23; docs/monitoring.md) -------------------
# Every log line of a request (and of the tasks it queued) names the request: readinggroup/requestid.py.
MIDDLEWARE.insert(0, "readinggroup.requestid.RequestIdMiddleware")
LOGGING["filters"]["request_id"] = {"()": "readinggroup.requestid.RequestIdFilter"}
LOGGING["handlers"]["console"]["filters"].append("request_id")
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# LOG_FORMAT=json: one JSON object a line, for a log search (python-json-logger).
LOG_FORMAT = env_str("LOG_FORMAT", default="text", choices=("text", "json"))
LOGGING["formatters"]["json"] = {
    "()": "readinggroup.logs.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
    "timestamp": True,
}
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"
# A 500 or a failing task mails ADMINS (the `django` logger's own handlers were replaced above),
# scrubbed of secrets and e-mail addresses; nobody when ADMINS is empty.
ADMINS = env_admins("ADMINS")
LOGGING["filters"]["require_debug_false"] = {"()": "django.utils.log.RequireDebugFalse"}
LOGGING["handlers"]["mail_admins"] = {
    "class": "readinggroup.error_reports.AdminEmailHandler",
    "level": "ERROR",
    "filters": ["require_debug_false"],
}
LOGGING["loggers"]["django"]["handlers"] = ["mail_admins"]
LOGGING["loggers"]["celery.app.trace"] = {"handlers": ["mail_admins"]}
# Error tracking (Sentry or a compatible service) when a DSN is set; personal data scrubbed.
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT")
if SENTRY_DSN:
    from readinggroup.error_reports import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
# /metrics for Prometheus: 404 unless a token is set, then only with `Authorization: Bearer <token>`.
METRICS_TOKEN = env_str("METRICS_TOKEN")
MIDDLEWARE.insert(1, "readinggroup.metrics.RequestCountMiddleware")
# Scraped over the private network; the token has crossed it already when a redirect would answer.
SECURE_REDIRECT_EXEMPT.append(r"^metrics$")

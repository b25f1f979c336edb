"""Passerelle settings: one file, every deployment value read from the environment.

Variables are documented in `.env.example`. `PASSERELLE_ENV` picks sensible defaults for
`development` (the demo centre, `make run`), `test` (`make test`) or `production`; every value
can still be set explicitly, and nothing is production-only code.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from centre.env import Env
from centre.request_context import parse_networks

# Lets the code write `admin.ModelAdmin[Site]` and similar generics checked by mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

ENVIRONMENT: str = env.choice(
    "PASSERELLE_ENV", "development", ("development", "test", "production")
)
PRODUCTION: bool = ENVIRONMENT == "production"
DEBUG = env.boolean("DEBUG", default=ENVIRONMENT == "development")


def _secret_key() -> str:
    key = env.optional_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY est obligatoire en production : générez-la avec "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    # Development and tests: a key generated once and kept beside the code (git-ignored), so
    # sessions survive a restart of `make run`.
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.csv_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS est obligatoire en production (ex. : sante.ville.fr)."
    )
CSRF_TRUSTED_ORIGINS = env.csv_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL: str = env.string("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "centre",
    "centre.reports",
    "patients",
    "appointments",
    "billing",
    "outreach",
    "outreach.participation",
    # The admin site of Passerelle: login through allauth, TOTP required (centre/admin_site.py).
    "centre.admin_config.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    # Hashed API keys (centre.models.ApiToken subclasses its abstract model).
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
]

MIDDLEWARE = [
    # First: drops forwarded headers not sent by a trusted proxy before anyone reads them.
    "centre.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "centre.middleware.IdleSessionMiddleware",  # Django's, where polls are not activity
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "centre.middleware.AtomicAccountChangesMiddleware",
    "centre.middleware.RequireMfaMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "centre.urls"
WSGI_APPLICATION = "centre.wsgi.application"
ASGI_APPLICATION = "centre.asgi.application"

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
                "centre.context_processors.navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only (exclusion constraints, unaccent, pg_trgm, triggers) --------
DATABASE_URL: str | None = env.url(
    "DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/passerelle",
    schemes=("postgres", "postgresql"),
)
assert DATABASE_URL is not None
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.integer(
    "DATABASE_CONNECT_TIMEOUT", 5, minimum=1
)
# Two roles (docs/security.md). DATABASE_URL names the OWNER of the tables: migrations and
# `manage.py setup_db_roles` run as it. With DATABASE_APP_USER set, the application itself
# (pages, API, workers, beat) connects as that RUNTIME role instead, same host and database:
# normal reads and writes, but only SELECT and INSERT on the journal — it cannot UPDATE,
# DELETE or TRUNCATE it, nor disable its trigger (not the owner, not a superuser). The steps
# that need the owner set DATABASE_AS_OWNER=1 (Makefile, docker-compose). Without
# DATABASE_APP_USER (a CI that only gives DATABASE_URL) everything runs as DATABASE_URL, as
# before: the test suite then creates the runtime role itself to prove its limits.
DATABASE_OWNER: dict[str, Any] = dict(DATABASES["default"])
DATABASE_APP_USER: str | None = env.optional_str("DATABASE_APP_USER")
DATABASE_APP_PASSWORD: str = env.string("DATABASE_APP_PASSWORD", "")
DATABASE_AS_OWNER: bool = env.boolean("DATABASE_AS_OWNER", False)
if DATABASE_APP_USER and not DATABASE_AS_OWNER:
    DATABASES["default"]["USER"] = DATABASE_APP_USER
    DATABASES["default"]["PASSWORD"] = DATABASE_APP_PASSWORD
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results. Optional outside production. --------------------
REDIS_URL: str | None = env.url("REDIS_URL", None, schemes=("redis", "rediss"))
if PRODUCTION and REDIS_URL is None:
    raise ImproperlyConfigured("REDIS_URL est obligatoire en production (broker Celery, cache).")

if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to "no cache" while Redis is down instead of failing (centre/cache.py).
            "BACKEND": "centre.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Tests: a prefix of their own per process, so a test run never reads or clears
            # the counters of another run (or of `make run`) sharing the Redis database.
            "KEY_PREFIX": env.string(
                "CACHE_KEY_PREFIX",
                f"passerelle-test-{secrets.token_hex(6)}"
                if ENVIRONMENT == "test"
                else "passerelle",
            ),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no REDIS_URL the tasks run in-process (eagerly) so `make run` needs no Redis;
# with REDIS_URL they go to a real worker (`make worker`).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Tests run tasks eagerly too, except the ones that start a real worker on purpose.
CELERY_TASK_ALWAYS_EAGER = env.boolean(
    "CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None or ENVIRONMENT == "test"
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Paris"

# --- Accounts: django-allauth, e-mail login, no public sign-up, TOTP for sensitive roles ------
AUTH_USER_MODEL = "centre.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if ENVIRONMENT == "test":
    # Hashing strength is not what the tests check; MD5 keeps the suite fast.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "centre.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Failed logins: at most LOGIN_FAILED_LIMIT per account in 5 minutes, and 20 a minute per IP.
LOGIN_FAILED_LIMIT: int = env.integer("LOGIN_FAILED_LIMIT", 5, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"20/m/ip,{LOGIN_FAILED_LIMIT}/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.string("MFA_TOTP_ISSUER", "Passerelle")
# Staff (`is_staff`) and superusers must use TOTP too (centre/mfa.py): they open the admin.
MFA_REQUIRED_ROLES: tuple[str, ...] = ("direction", "facturation")
# Sensitive operations (creating an API token) ask to re-authenticate when the last proof is
# older than this (seconds): the TOTP code for those who have one, else the password.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.integer("REAUTHENTICATION_SECONDS", 300, minimum=30)

# A session ends after SESSION_IDLE_MINUTES without a request (shared reception computers).
SESSION_COOKIE_AGE = env.integer("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers ------------------------------------------------------------------------
SECURE_COOKIES = env.boolean("SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# The header only matters once the domain owner submits it to the browsers' preload list.
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
# Forwarded headers (client IP, request id, scheme) are believed only from these proxies, IPs
# or CIDRs (docker-compose: the Caddy container); from anyone else they are dropped
# (centre.middleware.RequestContextMiddleware). Empty: the direct peer is the client.
TRUSTED_PROXIES: list[str] = env.csv_list("TRUSTED_PROXIES", [])
parse_networks(TRUSTED_PROXIES)  # a typo stops the start, not a request
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Strict CSP: no inline script or style anywhere, every asset served by Passerelle itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files (WhiteNoise; no CDN) ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, WhiteNoise serves straight from the app and project static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"

# --- E-mail and SMS (console by default: messages are printed, never sent) -------------------
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.string(
    "DEFAULT_FROM_EMAIL", "Passerelle <ne-pas-repondre@passerelle.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Daily « À faire » e-mail to staff (counts and links only): centre.services.digests.
NOTIFICATIONS_DIGEST: bool = env.boolean("NOTIFICATIONS_DIGEST", False)
SMS_BACKEND: str = env.string("SMS_BACKEND", "centre.sms.ConsoleSmsBackend")
# The INSi teleservice adapter (patients/insi.py): empty = the simulator outside production,
# no INSi at all in production until a certified client is configured.
INSI_BACKEND: str = env.string("INSI_BACKEND", "")
SMS_SENDER: str = env.string("SMS_SENDER", "CentreSante")
# Brevo transactional SMS (SMS_BACKEND=centre.sms.BrevoSmsBackend).
SMS_BREVO_API_KEY = env.string("SMS_BREVO_API_KEY", "")
SMS_BREVO_URL = env.string("SMS_BREVO_URL", "https://api.brevo.com/v3/transactionalSMS/sms")
SMS_HTTP_TIMEOUT = env.integer("SMS_HTTP_TIMEOUT", 10, minimum=1)
# Appointment reminders go out this many hours before the appointment (Celery beat).
APPOINTMENT_REMINDER_HOURS = env.integer("APPOINTMENT_REMINDER_HOURS", 24, minimum=1)
# How many people of the waiting list a freed slot is offered to (SMS / e-mail if consented,
# oldest first); 0 turns automatic offers off (reception can still offer from the page).
APPOINTMENT_WAITING_LIST_OFFERS = env.integer("APPOINTMENT_WAITING_LIST_OFFERS", 3, minimum=0)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Personal tokens: hashed, named, expiring, revocable (centre/api_tokens.py).
        "centre.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "centre.api_pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API reads JSON (nested lists of acts, topics, coverages cannot travel as a form);
    # the return-file upload declares its own multipart parser.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Service refusals (centre.refusals) become 400/403/404/409 JSON in one place.
    "EXCEPTION_HANDLER": "centre.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Passerelle",
    "DESCRIPTION": "API du portail Passerelle (centre de santé communautaire).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Staff roles only (not `collecte`): centre.api_schema.StaffOnly.
    "SERVE_PERMISSIONS": ["centre.api_schema.StaffOnly"],
    # One schema name per choice set shared by several serializers.
    "ENUM_NAME_OVERRIDES": {
        "ProfessionEnum": "centre.models.Profession.choices",
        "PlaceKindEnum": "outreach.models.PlaceKind.choices",
        "CollectiveKindEnum": "outreach.models.CollectiveKind.choices",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Read-only fields some roles do not receive (a patient's identity status and INS are
    # shown only to the roles that see the NIR) are not « required » in responses.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    # The 400/401/403/404 every operation can answer, documented once (centre/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "centre.api_schema.add_error_responses",
    ],
}

# Days an API token stays valid after its creation.
API_TOKEN_DAYS: int = env.integer("API_TOKEN_DAYS", 90, minimum=1)

# --- Demo and reports -------------------------------------------------------------------------
DEMO_PASSWORD: str = env.string("DEMO_PASSWORD", "passerelle-demo")
AUDIT_READ_RETENTION_DAYS: int = env.integer("AUDIT_READ_RETENTION_DAYS", 183, minimum=1)
# Reports for funders show counts below this threshold as "< N" (small-cell suppression).
REPORT_SUPPRESSION_THRESHOLD: int = env.integer("REPORT_SUPPRESSION_THRESHOLD", 5, minimum=1)
# Seconds a report download link stays valid.
REPORT_LINK_MAX_AGE: int = env.integer("REPORT_LINK_MAX_AGE", 900, minimum=30)
# Days a finished report's files (PDF, CSV, XLSX) are kept; its figures stay in the database.
REPORT_FILES_KEEP_DAYS: int = env.integer("REPORT_FILES_KEEP_DAYS", 90, minimum=1)
# Hard time limit of a report run (Celery), in seconds.
REPORT_TIME_LIMIT: int = env.integer("REPORT_TIME_LIMIT", 300, minimum=30)
# Answer sheets one IP address may send per hour through a survey's public link (no captcha).
PARTICIPATION_PUBLIC_MAX_PER_HOUR: int = env.integer(
    "PARTICIPATION_PUBLIC_MAX_PER_HOUR", 10, minimum=1
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

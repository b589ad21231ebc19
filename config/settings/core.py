"""Django itself: paths, environment, apps, middleware, auth, static files, security, logs.

``DJANGO_ENV=production`` has no defaults for secrets and refuses unsafe values here,
before anything else is configured.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.logs import logging_settings

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("CATALOG_VAR_DIR") or BASE_DIR / "var")
# SQLite file, embedded broker, beat schedule and test artefacts live here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Environment -------------------------------------------------------------
ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV={ENVIRONMENT!r}: expected development, test or production."
    )
IS_PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "dev-insecure-7c1f0b2e-catalog-editor-do-not-use-in-production-4a9d"
SECRET_KEY = env_str("SECRET_KEY", None if IS_PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)

# Django's own rule for a strong key (check --deploy, security.W009, in
# django/core/checks/security/base.py; tests/config/test_settings.py holds them equal).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
SECRET_KEY_INSECURE_PREFIX = "django-insecure-"


def secret_key_is_strong(key: str) -> bool:
    return (
        len(key) >= SECRET_KEY_MIN_LENGTH
        and len(set(key)) >= SECRET_KEY_MIN_UNIQUE_CHARACTERS
        and not key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


# Each refusal is one line: the entry points print it and exit (config/startup.py).
if IS_PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a secret value when DJANGO_ENV=production."
        )
    if not secret_key_is_strong(SECRET_KEY):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for DJANGO_ENV=production: it needs at least "
            f"{SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them "
            f"different, and must not start with {SECRET_KEY_INSECURE_PREFIX!r} "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
    if any("*" in host for host in ALLOWED_HOSTS):
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must name the site's hosts when DJANGO_ENV=production, not '*' "
            "(any Host header would be believed: password-reset links, poisoned caches)."
        )

# --- Applications --------------------------------------------------------------
INSTALLED_APPS = [
    # django-admin-interface must come before django.contrib.admin.
    "admin_interface",
    "colorfield",
    # django.contrib.admin with our site: the home page lists the catalog first.
    "config.apps.CatalogAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    # django-csp: its system checks of CONTENT_SECURITY_POLICY.
    "csp",
    "catalog",
    "stats",
    "editors",
    # Login brute-force protection; keep last so its checks see the other apps' models.
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header, from config/settings/content_policy.py.
    "csp.middleware.CSPMiddleware",
    # Records request.user as the author of every historical record (edit history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- Auth, i18n, static ----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing: after AXES_FAILURE_LIMIT failed logins for one username from one IP
# address, that pair is locked out for AXES_COOLOFF_MINUTES (other users and other IPs
# are not). A successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
#: One date format on every page: "5 Dec 2026, 19:14" (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# In development gunicorn serves static files straight from the apps, no collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- django-admin-interface ------------------------------------------------------------
# Its modals live in iframes; W019 warns about exactly that setting.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
# Shown in the admin header and favicon so nobody edits production by mistake.
ADMIN_ENVIRONMENT_NAME = env_str("ADMIN_ENVIRONMENT_NAME", ENVIRONMENT)

# --- Security (production) ---------------------------------------------------------------
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_HTTPONLY = True

# --- Logging ----------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# Quiet by default: each process logs its start, warnings, errors and what happened
# (a sweep's result, a run started), not the routine of every request and task.
# CATALOG_VERBOSE=1 adds gunicorn's access lines for static files (config/access_log.py),
# each task received and succeeded, and each periodic task beat sends.
CATALOG_VERBOSE = env_bool("CATALOG_VERBOSE", False)
LOGGING = logging_settings(level=LOG_LEVEL, verbose=CATALOG_VERBOSE)

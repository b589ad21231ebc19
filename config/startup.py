"""Settings refused at start: one line on stderr and a non-zero exit, for every entry point.

The settings refuse unsafe or malformed values with ``ImproperlyConfigured`` while they
load (``config/settings/``, ``config/env.py``), and Django, Celery and gunicorn each
answered that with a traceback of forty lines around the one that matters. Every entry
point imports the ``config`` package first (manage.py through Django's settings, gunicorn
through ``config.wsgi``, Celery through ``-A config``), and ``config/__init__.py`` loads
the settings through ``settings_or_exit`` before anything else.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

#: gunicorn reads a worker's exit status 4 as "App failed to load" and stops, instead of
#: starting workers that fail the same way forever; for manage.py and Celery it is any
#: non-zero status.
REFUSED = 4


def settings_or_exit() -> None:
    """Load the settings now; a refusal is one line on stderr and exit status 4."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings module)
    except ImproperlyConfigured as exc:
        print(f"Refusing to start: {exc}", file=sys.stderr)
        raise SystemExit(REFUSED) from None

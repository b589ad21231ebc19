"""Project configuration: settings, URLs, WSGI and the Celery app.

Importing the package loads the settings first: a refusal is one line and an exit, in
every process (``config.startup``).
"""

from config.startup import settings_or_exit

settings_or_exit()

from config.celery import app as celery_app  # noqa: E402 (after the settings' check)

__all__ = ("celery_app",)

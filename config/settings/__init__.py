"""Django settings for Catalog Editor, one module per concern.

Every environment variable the project reads is read in this package, through the typed
readers of ``config/env.py`` (and listed in docs/operations.md). Defaults give a newcomer
a working setup with no services: SQLite and the embedded broker under ``var/``.
Production mode (``DJANGO_ENV=production``) has no defaults for secrets and refuses
unsafe values. A module that needs another's value imports it by name: ``core`` (Django
itself), ``database``, ``broker`` (Celery), ``catalog`` (catalog and editors), ``stats``,
``schedule`` (Celery beat's periodic tasks), ``content_policy`` (the
Content-Security-Policy header).
"""

from config.settings.broker import *
from config.settings.catalog import *
from config.settings.content_policy import *
from config.settings.core import *
from config.settings.database import *
from config.settings.schedule import *
from config.settings.stats import *

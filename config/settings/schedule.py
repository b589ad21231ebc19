"""Celery beat's schedule: every periodic task in one dict, each expiring with its period."""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.queues import (
    TASK_BULK_NIGHTLY,
    TASK_BULK_RESUME,
    TASK_CATALOG_IMPORT_SWEEP,
    TASK_CATEGORY_REFRESH,
    TASK_STALE_SWEEP,
)
from config.settings.catalog import CATALOG_IMPORT_SWEEP_INTERVAL
from config.settings.core import VAR_DIR
from config.settings.stats import (
    STATS_BULK_RESUME_INTERVAL,
    STATS_BULK_SCHEDULE,
    STATS_CATEGORY_REFRESH_INTERVAL,
    STATS_STALE_SWEEP_INTERVAL,
)

_bulk_cron = STATS_BULK_SCHEDULE.split()
if len(_bulk_cron) != 5:
    raise ImproperlyConfigured(
        f"STATS_BULK_SCHEDULE={STATS_BULK_SCHEDULE!r}: expected 5 crontab fields."
    )

CELERY_BEAT_SCHEDULE = {
    "stats-bulk-nightly": {
        "task": TASK_BULK_NIGHTLY,
        "schedule": crontab(
            minute=_bulk_cron[0],
            hour=_bulk_cron[1],
            day_of_month=_bulk_cron[2],
            month_of_year=_bulk_cron[3],
            day_of_week=_bulk_cron[4],
        ),
        "options": {"expires": 3600},
    },
    "stats-bulk-resume": {
        "task": TASK_BULK_RESUME,
        "schedule": STATS_BULK_RESUME_INTERVAL,
        "options": {"expires": STATS_BULK_RESUME_INTERVAL},
    },
    "stats-category-refresh": {
        "task": TASK_CATEGORY_REFRESH,
        "schedule": STATS_CATEGORY_REFRESH_INTERVAL,
        "options": {"expires": STATS_CATEGORY_REFRESH_INTERVAL},
    },
    "stats-stale-sweep": {
        "task": TASK_STALE_SWEEP,
        "schedule": STATS_STALE_SWEEP_INTERVAL,
        # A sweep still waiting when the next is due is superseded by it.
        "options": {"expires": STATS_STALE_SWEEP_INTERVAL},
    },
    "catalog-import-sweep": {
        "task": TASK_CATALOG_IMPORT_SWEEP,
        "schedule": CATALOG_IMPORT_SWEEP_INTERVAL,
        # On the import worker's queue: waits while an import runs, superseded by the next.
        "options": {"expires": CATALOG_IMPORT_SWEEP_INTERVAL},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

from typing import Any

from django.conf import settings


def ensure_admin_theme(**kwargs: Any) -> None:
    """Load the admin theme after every migrate, so no setup step can forget it."""
    from editors.services import admin_theme_ensure

    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)


def historical_record_created(sender: type, history_instance: Any, **kwargs: Any) -> None:
    """A product or variant got a history record: fold it into the user's previous one."""
    from editors.services import history_fold

    history_fold(record=history_instance)

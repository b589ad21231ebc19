from typing import Any

from django.conf import settings


def ensure_admin_theme(**kwargs: Any) -> None:
    """Load the admin theme after every migrate, so no setup step can forget it."""
    from editors.services import admin_theme_ensure

    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)

"""What the processes log: one readable line per event, details only on request.

``settings.LOGGING`` wires these in; ``CATALOG_VERBOSE`` turns the routine lines back on
(see ``logging_settings`` below and docs/operations.md, "Logs").
"""

import logging
from typing import Any


def _who(request: Any) -> str:
    try:
        user = getattr(request, "user", None)  # lazy: may read the session and the user
        if user is None or not user.is_authenticated:
            return "anonymous"
        return str(user.get_username())
    except Exception:  # a log line must never fail the request it describes
        return "unknown user"


class ForbiddenOneLine(logging.Filter):
    """A 403 becomes one line: what was refused, to whom, and why, without a traceback.

    Django logs every ``PermissionDenied`` on ``django.request`` at WARNING with the
    exception attached, so each refused page printed a ~35-line traceback that says only
    "raise PermissionDenied" somewhere in the admin. A refusal is the permission system
    working, not a bug: who asked for which page is what an operator needs. Other
    records (a 500's traceback above all) pass untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        exc = record.exc_info[1] if record.exc_info else None
        reason = str(exc).strip() if exc is not None else ""
        method = getattr(request, "method", None) or "?"
        line = f"{record.getMessage()} [{method} by {_who(request)}"
        record.msg = f"{line}: {reason}]" if reason else f"{line}]"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


def logging_settings(*, level: str, verbose: bool) -> dict[str, Any]:
    """``settings.LOGGING``: quiet by default (each process logs its start, warnings,
    errors and what happened, not the routine of every request and task); ``verbose``
    brings back each task received and succeeded and each periodic task beat sends."""
    routine = level if verbose else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "filters": {"forbidden_one_line": {"()": "config.logs.ForbiddenOneLine"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default config gives "django" a console handler of its own (under
            # DEBUG): with ours on the root, every request warning printed twice. Only the
            # root's handler now; 403s are one line (config/logs.py).
            "django": {"handlers": [], "propagate": True},
            "django.request": {"filters": ["forbidden_one_line"]},
            "django.security.csrf": {"filters": ["forbidden_one_line"]},
            # django-axes announces itself at INFO on every start, commands included.
            "axes": {"level": "WARNING"},
            # One line per task received, per task succeeded, per periodic task sent.
            "celery.worker.strategy": {"level": routine},
            "celery.app.trace": {"level": routine},
            "celery.beat": {"level": routine},
        },
    }

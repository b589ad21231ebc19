"""gunicorn's access log without the page furniture (``--logger-class`` in the Procfile).

One admin page pulls some 60 static files (CSS, JS, icons), so gunicorn's access log
printed thousands of lines a session, burying the requests that matter. By default this
logger leaves out successful requests for static files and the favicon and logo; pages,
form posts, API calls and any error (a missing static file too) are still logged.
``CATALOG_VERBOSE=1`` logs every request.

It runs in gunicorn's worker processes, which have loaded Django (``config.wsgi``)
before they serve a request, so it reads Django's settings like any other module.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse
from gunicorn.glogging import Logger


def asset_prefixes() -> tuple[str, ...]:
    """Paths of files a page pulls in by itself: never what a person asked for."""
    return (settings.STATIC_URL, reverse("favicon"), "/favicon.ico", reverse("logo"))


def is_routine(path: str, status: int) -> bool:
    """Whether a request is left out of the access log unless ``CATALOG_VERBOSE`` is set."""
    if settings.CATALOG_VERBOSE or status >= 400:
        return False
    return path.startswith(asset_prefixes())


def _status_code(resp: Any) -> int:
    status = getattr(resp, "status_code", None) or str(resp.status).split(None, 1)[0]
    try:
        return int(status)
    except ValueError:
        return 0


class QuietAccessLogger(Logger):
    """gunicorn's ``Logger``, minus the access lines of ``is_routine`` requests."""

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if is_routine(environ.get("PATH_INFO", ""), _status_code(resp)):
            return
        super().access(resp, req, environ, request_time)

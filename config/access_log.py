"""gunicorn's access log without the page furniture (``--logger-class`` in the Procfile).

One admin page pulls some 60 static files (CSS, JS, icons), and an open product page
polls for its figures (every 0.5 s at first) and for who else edits it, so gunicorn's
access log printed thousands of lines a session, burying the requests that matter. By
default this logger leaves out successful requests for static files, the favicon and
logo, and the pages' own polls (``POLL_URL_NAMES``, the ops page's ``?partial=1``);
pages, form posts, API calls and any error (a missing static file too) are still logged.
``CATALOG_VERBOSE=1`` logs every request.

It runs in gunicorn's worker processes, which have loaded Django (``config.wsgi``)
before they serve a request, so it reads Django's settings like any other module.
"""

from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from gunicorn.glogging import Logger

#: What a page asks by itself while it is open: the product page's fresh figures, and a
#: change page's presence (``<app>_<model>_presence``).
POLL_URL_NAMES = ("stats-product-figures",)
POLL_URL_SUFFIX = "_presence"


def asset_prefixes() -> tuple[str, ...]:
    """Paths of files a page pulls in by itself: never what a person asked for."""
    return (settings.STATIC_URL, reverse("favicon"), "/favicon.ico", reverse("logo"))


def is_poll(path: str, query: str = "") -> bool:
    """A request an open page makes by itself, not one a person made."""
    if "partial=1" in query.split("&"):
        return True
    try:
        name = resolve(path).url_name or ""
    except Resolver404:
        return False
    return name in POLL_URL_NAMES or name.endswith(POLL_URL_SUFFIX)


def is_routine(path: str, status: int, query: str = "") -> bool:
    """Whether a request is left out of the access log unless ``CATALOG_VERBOSE`` is set."""
    if settings.CATALOG_VERBOSE or status >= 400:
        return False
    return path.startswith(asset_prefixes()) or is_poll(path, query)


def _status_code(resp: Any) -> int:
    status = getattr(resp, "status_code", None) or str(resp.status).split(None, 1)[0]
    try:
        return int(status)
    except ValueError:
        return 0


class QuietAccessLogger(Logger):
    """gunicorn's ``Logger``, minus the access lines of ``is_routine`` requests."""

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        if is_routine(path, _status_code(resp), query):
            return
        super().access(resp, req, environ, request_time)

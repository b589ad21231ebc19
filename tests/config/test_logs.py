"""What a refused request logs, and what the processes leave out unless asked."""

import logging
import sys

import pytest
from django.test import Client
from django.urls import reverse

from config.logs import ForbiddenOneLine
from tests.config.test_settings import _manage

pytestmark = pytest.mark.django_db

LINE = logging.Formatter("%(levelname)s %(name)s: %(message)s")


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("django.")]


def test_a_refused_page_logs_one_line_saying_what_to_whom(editor, editor_client, caplog):
    url = reverse("admin:auth_user_changelist")
    with caplog.at_level(logging.WARNING):
        response = editor_client.get(url)

    assert response.status_code == 403
    [record] = _request_records(caplog)
    assert LINE.format(record) == (
        f"WARNING django.request: Forbidden (Permission denied): {url} [GET by {editor.username}]"
    )


def test_a_refused_form_post_says_why_and_that_nobody_was_logged_in(caplog):
    client = Client(enforce_csrf_checks=True)
    url = reverse("admin:login")
    with caplog.at_level(logging.WARNING):
        response = client.post(url, {"username": "x", "password": "y"})

    assert response.status_code == 403
    [record] = _request_records(caplog)
    assert LINE.format(record) == (
        f"WARNING django.security.csrf: Forbidden (CSRF cookie not set.): {url} [POST by anonymous]"
    )


def test_request_warnings_reach_one_handler_not_djangos_own_as_well():
    # Django's default logging gives "django" a console handler of its own; with ours on
    # the root, each 403 was printed twice.
    for name in ("django", "django.request", "django.security.csrf"):
        logger = logging.getLogger(name)
        assert (logger.handlers, logger.propagate) == ([], True), name


def test_other_errors_keep_their_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x",), exc_info
    )
    record.status_code = 500

    assert ForbiddenOneLine().filter(record)
    assert record.exc_info is exc_info
    assert "RuntimeError: boom" in LINE.format(record)


def test_routine_task_lines_are_left_out_by_default(settings):
    assert settings.CATALOG_VERBOSE is False
    for name in ("celery.worker.strategy", "celery.app.trace", "celery.beat"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
    # What happened is still said: a sweep's result, a worker's start.
    assert logging.getLogger("stats.recompute.sweep").isEnabledFor(logging.INFO)
    assert logging.getLogger("celery.apps.worker").isEnabledFor(logging.INFO)


@pytest.mark.parametrize(
    "broker_url", ["", "sqlite://", "sqlite:///", "filesystem://", "filesystem:///"]
)
def test_the_embedded_broker_draws_no_kombu_hostname_warning(broker_url):
    # Publishing clones the connection; a URL without a host made kombu warn "No hostname
    # was supplied" on every clone, so in every command and process.
    script = (
        "import django; django.setup(); from config.celery import app; "
        "app.connection_for_write().clone(); print('cloned')"
    )
    result = _manage("shell", "-v", "0", "-c", script, CELERY_BROKER_URL=broker_url)

    assert (result.returncode, result.stdout.strip()) == (0, "cloned"), result.stderr
    assert "No hostname" not in result.stderr


def test_catalog_verbose_logs_routine_task_lines():
    script = (
        "import logging, django; django.setup(); "
        "print(logging.getLogger('celery.app.trace').getEffectiveLevel())"
    )
    quiet = _manage("shell", "-v", "0", "-c", script)
    verbose = _manage("shell", "-v", "0", "-c", script, CATALOG_VERBOSE="1")

    assert (quiet.returncode, verbose.returncode) == (0, 0), quiet.stderr + verbose.stderr
    assert (quiet.stdout.split(), verbose.stdout.split()) == (["30"], ["20"])

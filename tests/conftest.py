"""Shared fixtures. Real services: MariaDB through pytest-django, RabbitMQ through kombu.

Under ``CI=true`` an unreachable service stops the run with a failure; locally a
test that needs a missing broker is skipped with the reason.
"""

import os

import pytest
from django.conf import settings

from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


def _broker_error() -> str | None:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _database_error() -> str | None:
    # pytest-django blocks the ORM outside fixtures, so probe the server directly.
    import MySQLdb

    db = settings.DATABASES["default"]
    try:
        MySQLdb.connect(
            host=db["HOST"] or "127.0.0.1",
            port=int(db["PORT"] or 3306),
            user=db["USER"],
            password=db["PASSWORD"],
            connect_timeout=5,
        ).close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _vhost_mismatch() -> str | None:
    """The management API is asked about RABBITMQ_VHOST: it must be the broker URL's vhost."""
    if not settings.CELERY_BROKER_URL.startswith(("amqp", "pyamqp")):
        return None
    from kombu import Connection

    vhost = Connection(settings.CELERY_BROKER_URL).virtual_host
    if vhost == settings.RABBITMQ_VHOST:
        return None
    return (
        f"RABBITMQ_VHOST={settings.RABBITMQ_VHOST!r} but the broker URL's vhost is {vhost!r}: "
        f"monitoring would report another vhost's queues. Set RABBITMQ_VHOST={vhost}."
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    if mismatch := _vhost_mismatch():
        pytest.exit(mismatch, returncode=4)
    if not IN_CI:
        return
    # CI must prove the behaviour against the real services, never skip it.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.mysql":
        pytest.exit("CI=true but the tests are not configured for MariaDB.", returncode=3)
    if not settings.CELERY_BROKER_URL.startswith("amqp"):
        pytest.exit("CI=true but the tests are not configured for RabbitMQ.", returncode=3)
    for name, error in (("RabbitMQ", _broker_error()), ("MariaDB", _database_error())):
        if error:
            pytest.exit(f"CI=true and {name} is unreachable: {error}", returncode=3)


@pytest.fixture
def broker_url() -> str:
    """The real broker's URL; skips locally (fails in CI) when it is unreachable."""
    error = _broker_error()
    if error:
        if IN_CI:
            pytest.fail(f"Broker unreachable under CI: {error}")
        pytest.skip(f"Broker unreachable: {error}")
    return settings.CELERY_BROKER_URL


@pytest.fixture
def category_factory() -> type[factories.CategoryFactory]:
    return factories.CategoryFactory


@pytest.fixture
def product_factory() -> type[factories.ProductFactory]:
    return factories.ProductFactory


@pytest.fixture
def variant_factory() -> type[factories.VariantFactory]:
    return factories.VariantFactory


@pytest.fixture
def user_factory() -> type[factories.UserFactory]:
    return factories.UserFactory


@pytest.fixture
def editor_factory() -> type[factories.EditorFactory]:
    return factories.EditorFactory


@pytest.fixture
def editor(db) -> factories.EditorFactory:
    return factories.EditorFactory()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client

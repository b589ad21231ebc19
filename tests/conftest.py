"""Shared fixtures. Real services: MariaDB through pytest-django, RabbitMQ through kombu.

A test that needs MariaDB or RabbitMQ themselves says so with a marker (``integration``,
``mariadb``, ``rabbitmq``: see setup.cfg); the others run on whatever the settings name,
SQLite and the embedded broker included. Under ``CI=true`` a service that a selected test
needs and that is not configured or unreachable stops the run with a failure; locally
such a test is skipped with the reason. A lane without a service deselects its tests
(``-m``, see the Makefile) instead of skipping them.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from catalog.selectors import CATEGORY_COUNTS_CACHE_KEY
from testkit.properties import profile_load
from tests import factories

# Hypothesis' profile for the property tests (testkit.properties): before any test module
# is imported, so their settings decorators read it.
profile_load()

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


#: The services a marker stands for.
MARKER_SERVICES = {
    "integration": ("MariaDB", "RabbitMQ"),
    "mariadb": ("MariaDB",),
    "rabbitmq": ("RabbitMQ",),
}


def _services_needed(item: pytest.Item) -> set[str]:
    return {
        service
        for marker, services in MARKER_SERVICES.items()
        if item.get_closest_marker(marker)
        for service in services
    }


def _not_configured(service: str) -> str | None:
    if service == "MariaDB" and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.mysql"
    ):
        return "the tests are not configured for MariaDB (DATABASE_URL)"
    if service == "RabbitMQ" and not settings.CELERY_BROKER_URL.startswith("amqp"):
        return "the tests are not configured for RabbitMQ (CELERY_BROKER_URL)"
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    if mismatch := _vhost_mismatch():
        pytest.exit(mismatch, returncode=4)
    # Hashing a password the production way takes ~0.5 s here and most tests log a user
    # in: hash the tests' own users fast (what Django's testing docs advise), and keep
    # the configured hashers after it, so passwords that commands hash are still checked.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Quorum and cluster tests run only where the settings point at such a broker
    (``make test-cluster``), outside-tool tests only where ``OUTSIDE_TOOLS_VENV`` names
    the tools' virtualenv (``make test-outside``); elsewhere they are deselected, not skipped."""
    quorum = settings.CELERY_QUEUE_TYPE == "quorum"
    on_cluster = quorum and ";" in settings.CELERY_BROKER_URL  # a failover list of nodes
    outside = bool(os.environ.get("OUTSIDE_TOOLS_VENV"))
    keep, drop = [], []
    for item in items:
        wrong = (
            (item.get_closest_marker("quorum") and not quorum)
            or (item.get_closest_marker("cluster") and not on_cluster)
            or (item.get_closest_marker("outside") and not outside)
        )
        (drop if wrong else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under CI=true, every service a selected test needs must be there: never skip it."""
    if not IN_CI:
        return
    needed = set().union(*(_services_needed(item) for item in session.items))
    for service in sorted(needed):
        if reason := _not_configured(service):
            pytest.exit(f"CI=true but {reason}.", returncode=3)
        error = _database_error() if service == "MariaDB" else _broker_error()
        if error:
            pytest.exit(f"CI=true and {service} is unreachable: {error}", returncode=3)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for service in sorted(_services_needed(item)):
        if reason := _not_configured(service):
            # Under CI the run has already stopped (pytest_collection_finish).
            markers = " and ".join(f"not {m}" for m in MARKER_SERVICES)
            pytest.skip(f"needs {service}: {reason}; a lane without it runs -m '{markers}'")


@pytest.fixture(autouse=True)
def _no_kept_category_counts() -> None:
    """The product list's kept category counts are one test's data, not the next one's."""
    cache.delete(CATEGORY_COUNTS_CACHE_KEY)


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


def _logged_in(editor: object) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def alice(editor_factory) -> Client:
    """An editor named alice, logged in with a test client of her own."""
    return _logged_in(editor_factory(username="alice"))


@pytest.fixture
def bob(editor_factory) -> Client:
    """A second editor, bob, with his own client: two people on one form."""
    return _logged_in(editor_factory(username="bob"))


@pytest.fixture
def each_request_commits(monkeypatch) -> None:
    """Each admin request is its own transaction in production; a test runs them all in
    one. After each test-client request, forget what the catalog noted for the current
    transaction (products already given a new version), as a commit would."""
    from testkit.on_commit import forget_all

    original = Client.request

    def request(self, **kwargs):
        try:
            return original(self, **kwargs)
        finally:
            forget_all()

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture
def editors_group_restored(transactional_db):
    """The editors group, as its data migrations create it, for a ``transaction=True`` test.

    Such tests end with a flush that empties every table; post_migrate then puts back
    permissions and the theme, but not the group, which is migration data: a later
    transactional test found no group.
    """
    from tests.factories import editors_group

    return editors_group(restore_permissions=True)

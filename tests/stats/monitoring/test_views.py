from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from stats.models import QueueSample
from stats.monitoring.probes import broker_queues, take_snapshot
from stats.monitoring.sampler import Presence, monitoring_sample
from stats.monitoring.services import monitoring_samples_record
from stats.monitoring.snapshot import QueueFigures
from stats.monitoring.sources import MONITORED_QUEUES
from testkit.workers import declare_queue, unreachable_broker, wait_for

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


@pytest.fixture
def declared_queues(broker_url):
    """The monitored queues exist, as on a broker whose workers have started once, and the
    broker reports on them: a fresh broker has no queue, and the management API has no
    figures for a new queue until its next statistics round (every ~5 s)."""
    for name in MONITORED_QUEUES:
        declare_queue(name)

    def reported() -> bool:
        source, queues = broker_queues()
        # The embedded broker counts no consumers (the workers are asked instead).
        counts_consumers = source in ("management", "amqp")
        return all(
            q.ready is not None and (q.consumers is not None or not counts_consumers)
            for q in queues.values()
        )

    wait_for(
        reported,
        timeout=30,
        interval=0.5,
        message=f"the broker's figures for {', '.join(MONITORED_QUEUES)}",
    )
    _sample()


def _sample() -> None:
    """One round of the sampler that beat runs: every face reads what it stored."""
    monitoring_sample(Presence(), record_chart=False)


def test_healthz_answers_anyone(client):
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# readyz counts consumers by a passive declare over AMQP (or the management API); the
# embedded broker's transport cannot count them, so there it cannot see "no worker".
@pytest.mark.rabbitmq
def test_readyz_is_503_with_reasons_when_no_worker_consumes(client, declared_queues):
    response = client.get(reverse("readyz"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 503  # no worker runs during unit tests
    assert "no consumer on stats.batch" in response.json()["reasons"]


@pytest.mark.rabbitmq  # 503 because no worker consumes: see above
def test_readyz_tells_anonymous_probes_only_the_status(client, declared_queues):
    response = client.get(reverse("readyz"))
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


@pytest.mark.parametrize("url_name", ["metrics", "ops-status"])
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_metrics_and_status_refuse_without_the_token(client, url_name, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(reverse(url_name), **kwargs)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("token", "header", "status", "reason"),
    [
        (TOKEN, None, 401, "send 'Authorization: Bearer <METRICS_TOKEN>' or log in as staff"),
        (TOKEN, "Bearer wrong-token", 401, "the bearer token is not this server's METRICS_TOKEN"),
        ("", "Bearer anything", 401, "this server has no METRICS_TOKEN set: tokens are refused"),
        ("", None, 401, "log in to the admin as staff with the permission stats.view_ops"),
    ],
)
def test_a_refusal_says_what_is_wrong(client, settings, token, header, status, reason):
    settings.METRICS_TOKEN = token
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(reverse("metrics"), **kwargs)
    assert response.status_code == status
    assert response.json()["reason"].startswith(reason)


@pytest.mark.django_db
def test_a_logged_in_user_without_the_permission_is_forbidden_and_told_which(client, editor):
    client.force_login(editor)
    response = client.get(reverse("metrics"))
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "reason": f"{editor.username} lacks the permission stats.view_ops "
        "(Can view the queues & workers page and metrics)",
    }


@pytest.mark.slow  # the snapshot waits up to 2 s for workers' replies
def test_metrics_with_the_token_parse_as_prometheus_text(client, declared_queues):
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    ready = {s.labels["queue"]: s.value for s in families["catalog_queue_ready_messages"].samples}
    assert {"stats.batch", "stats.bulk", "default"} <= set(ready)
    assert "catalog_stale_products" in families
    assert "catalog_check_status" in families


@pytest.mark.slow  # the snapshot waits up to 2 s for workers' replies
def test_status_json_for_staff_with_the_ops_permission(client, broker_url, editor):
    _sample()
    client.force_login(editor)
    assert client.get(reverse("ops-status")).status_code == 403
    editor.user_permissions.add(Permission.objects.get(codename="view_ops"))
    editor = type(editor).objects.get(pk=editor.pk)  # drop the permission cache
    client.force_login(editor)
    response = client.get(reverse("ops-status"))
    assert response.status_code == 200
    assert {"queues", "checks", "status", "stale_products"} <= set(response.json())


def test_ops_page_needs_the_ops_permission(editor_client):
    assert editor_client.get(reverse("admin:stats_opsdashboard_changelist")).status_code == 403


@pytest.mark.slow  # the snapshot waits up to 2 s for workers' replies
def test_ops_page_shows_figures_checks_and_the_chart(admin_client, broker_url):
    monitoring_sample(Presence(), record_chart=True)
    page = admin_client.get(reverse("admin:stats_opsdashboard_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "stats.batch" in html and "Checks" in html
    assert "<svg" in html and "<polyline" in html
    partial = admin_client.get(reverse("admin:stats_opsdashboard_changelist"), {"partial": 1})
    assert "<svg" not in partial.content.decode() and "stats.batch" in partial.content.decode()


def test_samples_are_pruned_after_the_retention(settings, broker_url):
    settings.STATS_MONITOR_SAMPLE_RETENTION_HOURS = 24
    QueueSample.objects.create(
        taken_at=timezone.now() - timedelta(hours=25), queue="stats.batch", stale_products=0
    )
    written = monitoring_samples_record(take_snapshot(worker_timeout=0.2))
    assert written == QueueSample.objects.count() == len(MONITORED_QUEUES)


@pytest.mark.rabbitmq
def test_readyz_needs_only_the_queues_the_procfile_workers_consume(client, broker_url):
    """A fresh vhost has no ``default`` queue (no process declares it): ready all the same."""
    from kombu import Consumer

    from config.celery import app
    from stats.monitoring.views import CONSUMED_QUEUES

    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete("default")
        channel = conn.channel()
        consumers = [
            Consumer(channel, queues=[app.amqp.queues[name]], accept=["json"])
            for name in CONSUMED_QUEUES
        ]
        for consumer in consumers:
            consumer.consume()  # what the batch and bulk workers do when they start
        try:
            wait_for(
                lambda: _sample() or client.get(reverse("readyz")).status_code == 200,
                timeout=30,
                interval=0.5,
                message="/readyz 200 with stats.batch and stats.bulk consumed, no default",
            )
        finally:
            for consumer in consumers:
                consumer.cancel()
            channel.close()


def test_the_faces_read_the_stored_snapshot_and_never_the_broker(client, broker_url):
    """With RabbitMQ unreachable, /metrics and /readyz answer from the last sample."""
    _sample()
    with unreachable_broker():
        metrics = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        ready = client.get(reverse("readyz"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert metrics.status_code == 200
    assert "catalog_monitoring_snapshot_age_seconds" in metrics.content.decode()
    assert not any("monitoring" in reason for reason in ready.json()["reasons"])


def test_no_snapshot_or_an_old_one_is_a_critical_monitoring_check(client, settings):
    status = client.get(reverse("ops-status"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()
    assert status["status"] == "critical"
    assert "no snapshot yet" in status["checks"][0]["message"]
    assert client.get(reverse("readyz")).status_code == 503

    from stats.models import LatestSnapshot
    from stats.monitoring.services import monitoring_snapshot_latest, monitoring_snapshot_store

    fresh = monitoring_snapshot_latest()
    fresh.taken_at = timezone.now() - timedelta(seconds=settings.STATS_MONITOR_SNAPSHOT_MAX_AGE + 5)
    monitoring_snapshot_store(fresh)
    assert LatestSnapshot.objects.count() == 1
    (check,) = [c for c in monitoring_snapshot_latest().checks if c.name == "monitoring"]
    assert check.status == "critical" and "is beat running?" in check.message


def test_the_ops_chart_offers_three_periods(admin_client):
    from stats.models import QueueSample

    now = timezone.now()
    for minutes in (5, 5 * 60, 3 * 24 * 60):
        QueueSample.objects.create(
            taken_at=now - timedelta(minutes=minutes),
            queue="stats.batch",
            ready=minutes,
            stale_products=0,
        )
    url = reverse("admin:stats_opsdashboard_changelist")
    pages = {p: admin_client.get(url, {"period": p}).content.decode() for p in ("1h", "7d")}
    assert "stats.batch: 5 at" in pages["1h"] and "stats.batch: 300 at" not in pages["1h"]
    assert "stats.batch: 4,320 at" in pages["7d"]
    assert 'href="?period=24h"' in pages["7d"]
    assert "last 1h" in admin_client.get(url, {"period": "nonsense"}).content.decode()


def test_readyz_is_not_ready_while_the_consumer_count_is_unknown(client, monkeypatch):
    """A queue the broker has no figures for yet must not pass for a consumed one."""
    from stats.monitoring import views
    from stats.monitoring.services import monitoring_snapshot_latest

    def sampled_before_the_broker_counted():
        snapshot = monitoring_snapshot_latest()
        snapshot.checks = [c for c in snapshot.checks if c.name != "monitoring"]
        snapshot.queues = {
            name: QueueFigures(name, "management", ready=0, consumers=None)
            for name in views.CONSUMED_QUEUES
        }
        return snapshot

    monkeypatch.setattr(views, "monitoring_snapshot_latest", sampled_before_the_broker_counted)
    response = client.get(reverse("readyz"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 503
    assert "consumers of stats.batch not known yet" in response.json()["reasons"]

"""HTTP faces of monitoring: /healthz, /readyz, /metrics, /ops/status.json.

Thin: authenticate, take the snapshot (stats.probes), render it. Metrics and the JSON
status need the ``METRICS_TOKEN`` bearer token or a staff session with ``stats.view_ops``.
"""

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from stats.monitoring import _SEVERITY, Snapshot


def _authorized(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    token = settings.METRICS_TOKEN
    if token and header.startswith("Bearer "):
        # Constant-time comparison: the token must not leak through response timing.
        return hmac.compare_digest(header[7:].encode(), token.encode())
    user = request.user
    return user.is_authenticated and user.is_staff and user.has_perm("stats.view_ops")


def _unauthorized() -> JsonResponse:
    response = JsonResponse(
        {"error": "unauthorized", "reason": "send 'Authorization: Bearer <METRICS_TOKEN>'"},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="catalog-editor"'
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving: nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: database and broker reachable, the workers' queues consumed.

    Anonymous probes get 200/503 and a status word; the reasons need the metrics token.
    """
    from stats.probes import broker_queues

    reasons = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        reasons.append(f"database unreachable: {type(exc).__name__}")
    source, queues = broker_queues()
    for name, queue in queues.items():
        if queue.error:
            reasons.append(f"broker ({source}) queue {name}: {queue.error}")
    from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK

    for name in (QUEUE_STATS_BATCH, QUEUE_STATS_BULK):
        queue = queues.get(name)
        if queue is not None and queue.consumers == 0:
            reasons.append(f"no consumer on {name}")
    # Probes get the status code; the reasons (what is down, which broker) only go to
    # callers allowed to see ops figures, so anonymous callers learn nothing else.
    body = {"status": "unavailable" if reasons else "ready"}
    if _authorized(request):
        body |= {"reasons": reasons, "broker": source}
    return JsonResponse(body, status=503 if reasons else 200)


def _snapshot() -> Snapshot:
    from stats.probes import take_snapshot

    return take_snapshot()


@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    if not _authorized(request):
        return _unauthorized()
    return JsonResponse(_snapshot().as_dict(), json_dumps_params={"default": str})


def snapshot_metrics(snapshot: Snapshot) -> bytes:
    """The snapshot as Prometheus gauges; unknown figures are left out, never 0."""
    registry = CollectorRegistry()
    queue_labels = ["queue"]
    gauges = {
        "ready": Gauge(
            "catalog_queue_ready_messages", "Ready messages", queue_labels, registry=registry
        ),
        "unacked": Gauge(
            "catalog_queue_unacked_messages",
            "Unacked messages (buffered, held, running)",
            queue_labels,
            registry=registry,
        ),
        "consumers": Gauge(
            "catalog_queue_consumers", "Consumers attached", queue_labels, registry=registry
        ),
        "active_consumers": Gauge(
            "catalog_queue_active_consumers",
            "Consumers receiving messages",
            queue_labels,
            registry=registry,
        ),
    }
    for queue in snapshot.queues.values():
        for attribute, gauge in gauges.items():
            value = getattr(queue, attribute)
            if value is not None:
                gauge.labels(queue=queue.name).set(value)
    buffered = Gauge(
        "catalog_batch_buffered_requests",
        "Requests buffered by a batch worker",
        ["worker"],
        registry=registry,
    )
    oldest_wait = Gauge(
        "catalog_batch_oldest_wait_seconds",
        "Seconds the oldest buffered request has waited (alert above 2 x the flush interval)",
        ["worker"],
        registry=registry,
    )
    since_flush = Gauge(
        "catalog_batch_seconds_since_flush",
        "Seconds since a batch worker last flushed",
        ["worker"],
        registry=registry,
    )
    for buffer in snapshot.batch_buffers or []:
        buffered.labels(worker=buffer.worker).set(buffer.buffered)
        if buffer.seconds_since_flush is not None:
            since_flush.labels(worker=buffer.worker).set(buffer.seconds_since_flush)
        if buffer.oldest_wait is not None:
            oldest_wait.labels(worker=buffer.worker).set(buffer.oldest_wait)
    run = snapshot.bulk_run or {}
    Gauge(
        "catalog_bulk_run_active", "1 while a bulk run is queued or running", registry=registry
    ).set(1 if run else 0)
    progress = Gauge(
        "catalog_bulk_run_progress_ratio",
        "Finished share of the active bulk run",
        registry=registry,
    )
    eta = Gauge(
        "catalog_bulk_run_eta_seconds",
        "Estimated seconds left in the active bulk run",
        registry=registry,
    )
    if run:
        progress.set(run["percent"] / 100)
        if run["eta_seconds"] is not None:
            eta.set(run["eta_seconds"])
    Gauge(
        "catalog_stale_products",
        "Products whose statistics wait for a recompute",
        registry=registry,
    ).set(snapshot.stale_products)
    oldest = Gauge(
        "catalog_stale_oldest_seconds", "Age of the oldest stale mark", registry=registry
    )
    if snapshot.oldest_stale_seconds is not None:
        oldest.set(snapshot.oldest_stale_seconds)
    check = Gauge(
        "catalog_check_status",
        "0 ok, 1 warning or unknown, 2 critical",
        ["check"],
        registry=registry,
    )
    for item in snapshot.checks:
        check.labels(check=item.name).set(
            max(_SEVERITY[item.status], check.labels(check=item.name)._value.get())
        )
    return generate_latest(registry)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return _unauthorized()
    return HttpResponse(snapshot_metrics(_snapshot()), content_type=CONTENT_TYPE_LATEST)

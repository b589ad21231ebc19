"""HTTP faces of monitoring: /healthz, /readyz, /metrics, /ops/status.json.

Thin: authenticate, take the snapshot (``stats.monitoring.probes``), render it. Metrics and the JSON
status need the ``METRICS_TOKEN`` bearer token or a staff session with ``stats.view_ops``.
"""

import hmac
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from config.queues import QUEUE_STATS_BATCH, QUEUE_STATS_BULK
from stats.monitoring.metrics import snapshot_metrics
from stats.monitoring.snapshot import Snapshot

#: The queues the Procfile's workers consume (batch-worker and bulk-worker).
CONSUMED_QUEUES = (QUEUE_STATS_BATCH, QUEUE_STATS_BULK)


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

    Only the queues the Procfile's workers consume count (``CONSUMED_QUEUES``): a queue
    no process declares, such as ``default``, never exists on a fresh vhost and must not
    keep a deployment unready. Anonymous probes get 200/503 and a status word; the
    reasons need the metrics token.
    """
    from stats.monitoring.probes import broker_queues

    reasons = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        reasons.append(f"database unreachable: {type(exc).__name__}")
    source, queues = broker_queues()
    for name in CONSUMED_QUEUES:
        queue = queues.get(name)
        if queue is None:
            continue
        if queue.error:
            reasons.append(f"broker ({source}) queue {name}: {queue.error}")
        elif queue.consumers == 0:
            reasons.append(f"no consumer on {name}")
    # Probes get the status code; the reasons (what is down, which broker) only go to
    # callers allowed to see ops figures, so anonymous callers learn nothing else.
    body: dict[str, Any] = {"status": "unavailable" if reasons else "ready"}
    if _authorized(request):
        body |= {"reasons": reasons, "broker": source}
    return JsonResponse(body, status=503 if reasons else 200)


def _snapshot() -> Snapshot:
    from stats.monitoring.probes import take_snapshot

    return take_snapshot()


@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    if not _authorized(request):
        return _unauthorized()
    return JsonResponse(_snapshot().as_dict(), json_dumps_params={"default": str})


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return _unauthorized()
    return HttpResponse(snapshot_metrics(_snapshot()), content_type=CONTENT_TYPE_LATEST)

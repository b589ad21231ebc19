"""HTTP faces of monitoring: /healthz, /readyz, /metrics, /ops/status.json.

Thin: authenticate, read the sampler's latest snapshot (``stats.monitoring.sampler``),
render it; nothing here talks to the broker or the workers. Metrics and the JSON
status need the ``METRICS_TOKEN`` bearer token or a staff session with ``stats.view_ops``.
"""

import hmac
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from config.queues import consumed_queue_names
from stats.monitoring.checks import FRESHNESS
from stats.monitoring.metrics import snapshot_metrics
from stats.monitoring.services import monitoring_snapshot_latest
from stats.monitoring.snapshot import OK

#: The queues the Procfile's workers consume: each needs a consumer (``config.queues``).
CONSUMED_QUEUES = tuple(consumed_queue_names())


def _authorized(request: HttpRequest) -> bool:
    return _refusal(request) is None


def _refusal(request: HttpRequest) -> JsonResponse | None:
    """Why a caller may not read the ops figures, in words that say what to do; None if
    it may. A wrong or unexpected token is told apart from a missing one, and a logged-in
    user without the permission gets 403 naming it (asking again cannot help)."""
    header = request.headers.get("Authorization", "")
    token = settings.METRICS_TOKEN
    user = request.user
    if user.is_authenticated and user.is_staff and user.has_perm("stats.view_ops"):
        return None
    if header.startswith("Bearer "):
        if not token:
            return _unauthorized("this server has no METRICS_TOKEN set: tokens are refused")
        # Constant-time comparison: the token must not leak through response timing.
        if hmac.compare_digest(header[7:].encode(), token.encode()):
            return None
        return _unauthorized("the bearer token is not this server's METRICS_TOKEN")
    if user.is_authenticated:
        response = JsonResponse(
            {
                "error": "forbidden",
                "reason": f"{user.get_username()} lacks the permission stats.view_ops "
                "(Can view the queues & workers page and metrics)",
            },
            status=403,
        )
        return response
    if token:
        return _unauthorized("send 'Authorization: Bearer <METRICS_TOKEN>' or log in as staff")
    return _unauthorized(
        "log in to the admin as staff with the permission stats.view_ops "
        "(no METRICS_TOKEN is set on this server)"
    )


def _unauthorized(reason: str) -> JsonResponse:
    response = JsonResponse({"error": "unauthorized", "reason": reason}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="catalog-editor"'
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving: nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: database reachable, a fresh snapshot, the workers' queues consumed.

    Read from the sampler's latest snapshot, never from the broker: a probe answers in
    milliseconds even with RabbitMQ down, and anyone polling it cannot slow the admin.
    Only the queues the Procfile's workers consume count (``CONSUMED_QUEUES``): a queue no
    process declares, such as ``default``, never exists on a fresh vhost. Anonymous probes
    get 200/503 and a status word; the reasons need the metrics token.
    """
    reasons = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        reasons.append(f"database unreachable: {type(exc).__name__}")
        snapshot = None
    else:
        snapshot = monitoring_snapshot_latest()
    if snapshot is not None:
        reasons += [
            f"{check.name}: {check.message}"
            for check in snapshot.checks
            if check.name == FRESHNESS and check.status != OK
        ]
        for name in CONSUMED_QUEUES:
            queue = snapshot.queues.get(name)
            if queue is None:
                continue
            if queue.error:
                reasons.append(f"broker ({snapshot.broker_source}) queue {name}: {queue.error}")
            elif queue.consumers == 0:
                reasons.append(f"no consumer on {name}")
            elif queue.consumers is None:  # a new queue the broker has no figures for yet
                reasons.append(f"consumers of {name} not known yet")
    # Probes get the status code; the reasons (what is down, which broker) only go to
    # callers allowed to see ops figures, so anonymous callers learn nothing else.
    body: dict[str, Any] = {"status": "unavailable" if reasons else "ready"}
    if _authorized(request):
        body |= {"reasons": reasons, "broker": snapshot.broker_source if snapshot else None}
    return JsonResponse(body, status=503 if reasons else 200)


@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    if refusal := _refusal(request):
        return refusal
    return JsonResponse(monitoring_snapshot_latest().as_dict(), json_dumps_params={"default": str})


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if refusal := _refusal(request):
        return refusal
    return HttpResponse(
        snapshot_metrics(monitoring_snapshot_latest()), content_type=CONTENT_TYPE_LATEST
    )

"""The rehearsal's figures from its raw observations, and the table it prints.

Pure functions over samples, tallies and BatchFlush rows (as dicts), so the arithmetic is
tested without a deployment (tests/bench/test_rehearsal_report.py).
"""

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from bench.rehearsal_probes import Sample, kind_of


def percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile (NaN for no values): a value that was observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _spread(values: Sequence[float]) -> dict[str, float]:
    """max, mean and steady (the median: what the count sits at most of the time)."""
    if not values:
        return {"max": 0, "mean": 0.0, "steady": 0}
    return {
        "max": max(values),
        "mean": round(statistics.fmean(values), 1),
        "steady": statistics.median(values),
    }


def counts(samples: Sequence[Sample], attribute: str) -> dict[str, Any]:
    """One counter of the samples (``db``, ``amqp``, ``channels``) summed up three ways:
    in total, per process kind (all processes of the kind together), and per single
    process of a kind (the largest process's count: the per-host budget figure)."""
    series = [getattr(s, attribute) for s in samples]
    names = sorted({name for counter in series for name in counter})
    kinds = sorted({kind_of(name) for name in names})
    per_kind, per_process = {}, {}
    for kind in kinds:
        members = [n for n in names if kind_of(n) == kind]
        per_kind[kind] = _spread([sum(c[n] for n in members) for c in series])
        per_process[kind] = {
            "processes": len(members),
            "max": max(max(c[n] for c in series) for n in members),
            "steady": max(statistics.median([c[n] for c in series]) for n in members),
        }
    return {
        "total": _spread([sum(c.values()) for c in series]),
        "per_kind": per_kind,
        "per_process": per_process,
    }


def node_counts(samples: Sequence[Sample]) -> dict[str, dict[str, float]]:
    nodes = sorted({node for s in samples for node in s.amqp_nodes})
    return {node: _spread([s.amqp_nodes[node] for s in samples]) for node in nodes}


def queue_maxima(samples: Iterable[Sample]) -> dict[str, int]:
    """The deepest each of the app's queues got (Celery's remote-control queues left out)."""
    maxima: Counter = Counter()
    for sample in samples:
        for name, depth in sample.queues.items():
            if "pidbox" not in name and not name.startswith("celeryev"):
                maxima[name] = max(maxima[name], depth)
    return dict(sorted(maxima.items()))


def flush_figures(flushes: Sequence[dict], *, seconds: float) -> dict[str, Any]:
    """Save requests absorbed by the batch workers, from BatchFlush rows (``worker``,
    ``requests``, ``products``, ``computed``, ``duration_ms``) flushed in ``seconds``.

    ``products_per_request`` is the de-duplication: 1.0 means every request recomputed
    its product; with sharding, repeated saves of a product land in one buffer and it
    falls. ``per_busy_second`` is requests per second of batch work: what one worker could
    absorb if it did nothing else, the figure a worker budget divides by.
    """
    requests = sum(f["requests"] for f in flushes)
    products = sum(f["products"] for f in flushes)
    per_worker = {}
    for worker in sorted({f["worker"] for f in flushes}):
        mine = [f for f in flushes if f["worker"] == worker]
        busy = sum(f["duration_ms"] for f in mine) / 1000
        done = sum(f["requests"] for f in mine)
        per_worker[worker] = {
            "flushes": len(mine),
            "requests": done,
            "products": sum(f["products"] for f in mine),
            "busy_s": round(busy, 1),
            "per_busy_second": round(done / busy, 1) if busy else None,
        }
    busy_total = sum(w["busy_s"] for w in per_worker.values())
    return {
        "flushes": len(flushes),
        "requests": requests,
        "products": products,
        "computed": sum(f["computed"] for f in flushes),
        "requests_per_second": round(requests / seconds, 2) if seconds else None,
        "products_per_request": round(products / requests, 3) if requests else None,
        "per_busy_second": round(requests / busy_total, 1) if busy_total else None,
        "per_worker": per_worker,
    }


def save_figures(tallies: Sequence[Any], *, seconds: float) -> dict[str, Any]:
    """Client-side save figures from the editors' tallies (``bench.rehearsal_editors.Tally``)."""
    posts = [t for tally in tallies for t in tally.posts]
    saved = sum(t.saved for t in tallies)
    return {
        "posts": len(posts),
        "saved": saved,
        "redisplayed": sum(t.redisplayed for t in tallies),
        "conflicts": sum(t.conflicts for t in tallies),
        "errors": sum(t.errors for t in tallies),
        "p50_ms": round(percentile(posts, 50) * 1000),
        "p95_ms": round(percentile(posts, 95) * 1000),
        "p99_ms": round(percentile(posts, 99) * 1000),
        "saves_per_second": round(saved / seconds, 2) if seconds else None,
        "messages": [m for tally in tallies for m in tally.messages][:5],
    }


def _spread_line(label: str, spread: dict[str, float]) -> str:
    return (
        f"  {label:<28} max {spread['max']:>4}  mean {spread['mean']:>6}"
        f"  steady {spread['steady']:>5}"
    )


def _counts_lines(title: str, figures: dict[str, Any]) -> list[str]:
    lines = [title, _spread_line("total", figures["total"])]
    for kind, spread in figures["per_kind"].items():
        one = figures["per_process"][kind]
        lines.append(
            _spread_line(f"{kind} ({one['processes']} seen)", spread)
            + f"   one process: max {one['max']}, steady {one['steady']}"
        )
    return lines


def render(figures: dict[str, Any]) -> str:
    """The printed table: every figure of ``figures`` a reader compares between runs."""
    run, saves, flush = figures["run"], figures["saves"], figures["batch"]
    during = figures["batch_during_load"]
    machine = figures["machine"]
    lines = [
        f"Deployment rehearsal, {run['started']}: {run['processes']}",
        f"machine: {machine['cpus']} CPUs, {machine['memory_gib']} GiB, load max "
        f"{machine['load_max']} (mean {machine['load_mean']}), CPU busy {machine['cpu_busy_pct']}%"
        f" (the rehearsal's client {machine.get('client_cpu_pct')}%);"
        f" RabbitMQ {machine['rabbitmq']}, MariaDB {machine['mariadb']}",
        "settings: " + ", ".join(f"{k}={v}" for k, v in run["settings"].items()),
        "",
        f"editors {run['editors']} for {run['duration_s']} s:"
        f" {saves['posts']} saves posted, {saves['saved']} saved,"
        f" {saves['redisplayed']} re-displayed ({saves['conflicts']} conflicts),"
        f" {saves['errors']} errors",
        f"  save POST p50 {saves['p50_ms']} ms  p95 {saves['p95_ms']} ms  p99 {saves['p99_ms']} ms;"
        f"  {saves['saves_per_second']} saves/s",
        f"save events absorbed: {during['requests_per_second']} requests/s flushed while the"
        f" editors worked ({during['requests']} in {during['flushes']} flushes); by caught-up"
        f" {flush['requests']} in {flush['flushes']} flushes, i.e."
        f" {flush['requests_per_second']}/s of editing time",
        f"  products recomputed per request {flush['products_per_request']};"
        f" {flush['per_busy_second']} requests per busy second of a batch worker",
        f"  caught up (no stale product) {figures['caught_up']}",
    ]
    for worker, w in flush["per_worker"].items():
        lines.append(
            f"  {worker:<28} {w['flushes']:>3} flushes {w['requests']:>5} requests"
            f" {w['products']:>5} products  busy {w['busy_s']} s"
            f" ({w['per_busy_second']} requests per busy second)"
        )
    lines += _counts_lines("MariaDB connections (PROCESSLIST, load window)", figures["mariadb"])
    lines += _counts_lines("AMQP connections (vhost, load window)", figures["amqp"])
    lines += [
        "  per node: "
        + ", ".join(
            f"{node.split('@')[0]} max {s['max']} steady {s['steady']}"
            for node, s in figures["amqp_nodes"].items()
        )
    ]
    lines += _counts_lines("AMQP channels (vhost, load window)", figures["channels"])
    lines.append(
        "queue depth max (ready + unacked): "
        + ", ".join(f"{q} {d}" for q, d in figures["queue_max"].items())
    )
    bulk = figures["bulk"]
    lines.append(
        f"bulk run: {bulk['chunks_done']}/{bulk['chunks_total']} chunks done;"
        f" active consumer {bulk['active']}, standby {bulk['waiting']}"
    )
    lines.append(f"leftover processes after shutdown: {figures['leftovers']}")
    if saves["messages"]:
        lines.append("first errors: " + " | ".join(saves["messages"]))
    return "\n".join(lines)

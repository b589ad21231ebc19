import json
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from config.commands import ServiceCommand, seconds
from config.humanize import quantity
from stats.formatting import format_duration, format_task_duration
from stats.monitoring.services import monitoring_snapshot_latest
from stats.monitoring.snapshot import Snapshot


def _n(value: object) -> str:
    if value is None:
        return "?"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render_snapshot(snapshot: Snapshot) -> str:
    """The human table: '?' marks what the broker or workers cannot tell."""
    lines = [
        f"Catalog Editor statistics at {snapshot.taken_at:%Y-%m-%d %H:%M:%S %Z} "
        f"(broker figures from: {snapshot.broker_source}{_lag(snapshot)}): "
        f"{snapshot.status.upper()}",
        "",
        f"{'queue':14} {'ready':>8} {'unacked':>8} {'consumers':>10} {'active':>7} "
        f"{'publish/s':>10} {'ack/s':>8}  note",
    ]
    width = max([14, *(len(name) for name in snapshot.queues)])
    lines[-1] = f"{'queue':{width}}" + lines[-1][14:]
    for queue in snapshot.queues.values():
        note = queue.error or ("single active consumer" if queue.single_active_consumer else "")
        lines.append(
            f"{queue.name:{width}} {_n(queue.ready):>8} {_n(queue.unacked):>8} "
            f"{_n(queue.consumers):>10} {_n(queue.active_consumers):>7} "
            f"{_n(queue.publish_rate):>10} {_n(queue.ack_rate):>8}  {note}"
        )
    lines.append("")
    if snapshot.batch_buffers is None:
        lines.append("Batch buffers: unknown (workers did not answer)")
    elif not snapshot.batch_buffers:
        lines.append("Batch buffers: no batch worker answered")
    for buffer in snapshot.batch_buffers or []:
        since = buffer.seconds_since_flush
        lines.append(
            f"Batch buffer {buffer.worker}: {buffer.buffered} buffered, last flush "
            f"{'never' if buffer.last_flush_at is None else format_duration(since) + ' ago'} "
            f"(flushes every {buffer.flush_every} or {format_duration(buffer.flush_interval)})"
        )
    for shard in snapshot.batch_shards:
        owners = ", ".join(shard.workers) or "no live worker"
        lines.append(f"Batch shard {shard.shard} ({shard.queue}): {owners}")
    run = snapshot.bulk_run
    if run:
        eta = format_duration(run["eta_seconds"]) if run["eta_seconds"] is not None else "?"
        lines.append(
            f"Bulk run {run['id']} ({run['scope']}, {run['status']}): {run['percent']}%, "
            f"{run['chunks_done']}/{quantity(run['chunks_total'], 'chunk')}, "
            f"{run['chunks_failed']} failed, ETA {eta}"
        )
    else:
        lines.append("Bulk run: none active")
    oldest = snapshot.oldest_stale_seconds
    lines.append(
        f"Stale: {quantity(snapshot.stale_products, 'product')}"
        + (f" (oldest {format_duration(oldest)})" if oldest is not None else "")
        + f", {quantity(snapshot.stale_categories, 'category', 'categories')}"
    )
    lines.append("")
    lines.extend(render_tasks(snapshot))
    lines.append("")
    for check in snapshot.checks:
        lines.append(f"[{check.status.upper():8}] {check.name}: {check.message}")
    return "\n".join(lines)


def _lag(snapshot: Snapshot) -> str:
    lag = snapshot.source_lag.get("broker", 0)
    return f", up to {format_duration(lag)} behind the broker" if lag else ""


def render_tasks(snapshot: Snapshot) -> list[str]:
    """Per task over the last hour and day: done, failed, p50, p95; then the last failures."""
    lines = [
        f"{'task':17} {'1h done':>8} {'failed':>7} {'p50':>8} {'p95':>8}   "
        f"{'24h done':>9} {'failed':>7} {'p50':>8} {'p95':>8}"
    ]
    for task in snapshot.tasks:
        hour, day = task.hour, task.day
        lines.append(
            f"{task.task:17} {hour.done:>8,} {hour.failed:>7,} "
            f"{format_task_duration(hour.p50_seconds):>8} "
            f"{format_task_duration(hour.p95_seconds):>8}   {day.done:>9,} {day.failed:>7,} "
            f"{format_task_duration(day.p50_seconds):>8} {format_task_duration(day.p95_seconds):>8}"
        )
    if snapshot.task_failures:
        lines.append("Last failures:")
        for failure in snapshot.task_failures:
            error = failure.error.splitlines()[0][:160] if failure.error else ""
            lines.append(f"  {failure.failed_at[:19]} {failure.task} {failure.worker}: {error}")
    return lines


class Command(ServiceCommand):
    help = (
        "Queue depth, batch buffers, bulk progress and stale statistics, from the snapshot "
        "the sampler stored (--live: ask the broker and workers now). "
        "Exit status: 0 ok, 1 warning, 2 critical (for cron or Nagios)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the snapshot as JSON.")
        parser.add_argument(
            "--live",
            action="store_true",
            help="Ask the broker and the workers now (a few seconds) instead of reading the "
            "snapshot the sampler stored.",
        )
        parser.add_argument(
            "--watch",
            type=seconds(3600),
            metavar="SECONDS",
            help="Refresh every SECONDS (up to an hour) until Ctrl-C.",
        )

    def handle(
        self, *args: Any, json: bool, live: bool, watch: float | None, **options: Any
    ) -> None:
        snapshot = None
        try:
            while True:
                snapshot = _snapshot(live=live)
                if json:
                    self.stdout.write(_dumps(snapshot.as_dict()))
                else:
                    if watch:
                        self.stdout.write("\033[2J\033[H", ending="")  # clear the terminal
                    self.stdout.write(render_snapshot(snapshot))
                if not watch:
                    break
                time.sleep(watch)
        except KeyboardInterrupt:
            if snapshot is None:
                raise CommandError("Interrupted before the first snapshot.") from None
        raise SystemExit(snapshot.exit_code)


def _snapshot(*, live: bool) -> Snapshot:
    """The stored snapshot answers in milliseconds, as the web faces do; its age is its
    own check ("monitoring"), so a stopped sampler shows as critical, never as calm."""
    if live:
        from stats.monitoring.probes import take_snapshot

        return take_snapshot()
    return monitoring_snapshot_latest()


def _dumps(data: dict) -> str:
    return json.dumps(data, default=str, indent=2)

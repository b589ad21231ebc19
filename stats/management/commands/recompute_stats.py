"""``manage.py recompute_stats``: start a bulk run from a shell, optionally watch it finish.

The command only translates arguments and calls ``stats.bulk``; the run is the same a
button in the admin would start, so ops and editors see one list of runs. With
``--in-process`` it computes the whole catalog itself instead, no queue and no worker
(``make run`` does this after seeding).
"""

import argparse
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from catalog.models import Category
from config.commands import (
    MAX_ID,
    ServiceCommand,
    progress_bar,
    progress_line,
    seconds,
    whole_number,
)
from config.humanize import quantity
from config.outbox import unsent
from stats.bulk.models import BulkRun
from stats.bulk.selectors import bulk_run_progress
from stats.bulk.services import BulkRunError, bulk_run_start
from stats.bulk.window import MAX_CHUNK_SIZE, bulk_run_fits_window
from stats.formatting import format_duration, format_scope, format_task_duration
from stats.recompute.products import product_stats_recompute_all


def run_summary(run: BulkRun) -> str:
    """The run's size on one line, so a log shows what was started and how long it takes."""
    progress = bulk_run_progress(run)
    status = run.get_status_display().lower()
    return (
        f"Bulk run {run.pk} {status}: {format_scope(run)}, "
        f"{quantity(run.products_total, 'product')} in "
        f"{quantity(run.chunks_total, 'chunk')} of up to {run.chunk_size:,}, "
        f"rate limit {run.rate_limit}, "
        f"ETA {format_duration(progress.eta_seconds)}."
    )


def run_progress_line(run: BulkRun) -> str:
    """A text progress bar with the figures an operator watches."""
    progress = bulk_run_progress(run)
    finished = run.chunks_done + run.chunks_failed
    tail = (
        f"ETA {format_duration(progress.eta_seconds)}"
        if run.is_active
        else run.get_status_display().lower()
    )
    return (
        f"{progress_bar(progress.percent)} | {finished:,}/{quantity(run.chunks_total, 'chunk')} | "
        f"{quantity(run.products_done, 'product')} done | {run.products_failed:,} failed | {tail}"
    )


def _end_reason(run: BulkRun) -> str:
    if run.status == BulkRun.Status.CANCELLED:
        return (
            f"Bulk run {run.pk} was cancelled at {bulk_run_progress(run).percent}%: "
            f"{run.chunks_done:,} of {quantity(run.chunks_total, 'chunk')} done, "
            f"{run.chunks_cancelled:,} cancelled."
        )
    return (
        f"Bulk run {run.pk} finished with failures: {run.chunks_failed:,} of "
        f"{quantity(run.chunks_total, 'chunk')} failed "
        f"({quantity(run.products_failed, 'product')}); "
        f"their last errors are on the run's page in the admin."
    )


class Command(ServiceCommand):
    help = (
        "Recompute product statistics over the rate-limited bulk queue: the whole catalog, "
        "categories with their subcategories, or the given products."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--all", action="store_true", help="The whole catalog.")
        scope.add_argument(
            "--category",
            metavar="SLUG",
            action="append",
            help="A category and all its subcategories (repeat: one run over them all).",
        )
        scope.add_argument(
            "--products",
            metavar="ID",
            type=whole_number(1, MAX_ID),
            nargs="+",
            help="These product IDs.",
        )
        parser.add_argument(
            "--chunk-size",
            metavar="N",
            # At least 1 here: the service reads a falsy size as "use the default".
            type=whole_number(1, MAX_CHUNK_SIZE),
            help=f"Products per chunk (default: {settings.STATS_BULK_CHUNK_SIZE}, or more "
            f"when the run would not end within {settings.STATS_BULK_WINDOW_HOURS} hours).",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Show progress until the run ends; exit non-zero unless it ends done.",
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="Compute here and now instead of a bulk run: every product whose figures "
            "are missing or out of date, then their categories (with --all only; for "
            "setting up, before the workers run).",
        )
        # Seconds between two looks at the run while waiting; hidden, as tests need it most.
        parser.add_argument("--poll", type=seconds(60), default=2.0, help=argparse.SUPPRESS)

    def handle(
        self,
        *args: Any,
        category: list[str] | None,
        products: list[int] | None,
        chunk_size: int | None,
        wait: bool,
        poll: float,
        in_process: bool,
        **options: Any,
    ) -> None:
        if in_process:
            if category is not None or products or wait:
                raise CommandError("--in-process recomputes the whole catalog: use it with --all.")
            started = time.monotonic()
            result = product_stats_recompute_all(chunk_size=chunk_size or 1000)
            self.stdout.write(
                f"Statistics computed in {format_task_duration(time.monotonic() - started)}: "
                f"{quantity(result.computed, 'product')} computed, "
                f"{result.skipped_current:,} already current, {result.failed:,} failed, "
                f"{quantity(result.categories, 'category', 'categories')}."
            )
            return
        # argparse has made sure exactly one of --all, --category, --products was given.
        scope_kwargs: dict[str, Any] = {"scope": BulkRun.Scope.ALL}
        if category:
            found = list(Category.objects.filter(slug__in=category))
            missing = sorted(set(category) - {c.slug for c in found})
            if missing:
                raise CommandError(f"No category with the slug {missing[0]!r}.")
            scope_kwargs = {"scope": BulkRun.Scope.CATEGORY, "categories": found}
        elif products:
            scope_kwargs = {"scope": BulkRun.Scope.PRODUCTS, "product_ids": products}
        try:
            with unsent() as not_sent:
                run = bulk_run_start(
                    trigger=BulkRun.Trigger.OPS, chunk_size=chunk_size, **scope_kwargs
                )
        except BulkRunError as exc:
            raise CommandError(str(exc)) from None
        # No atomic block around a command: the run is committed and its chunks were
        # sent (or failed to be) before bulk_run_start returned.
        self.stdout.write(run_summary(run))
        if not bulk_run_fits_window(run.products_total, run.chunk_size):
            self.stderr.write(
                f"Warning: bulk run {run.pk} takes longer than the "
                f"{settings.STATS_BULK_WINDOW_HOURS}-hour window (STATS_BULK_WINDOW_HOURS).",
                style_func=self.style.WARNING,
            )
        if not_sent:
            self.stderr.write(
                f"Warning: the chunks of bulk run {run.pk} could not be published "
                f"({not_sent[0].error}). The run is saved; the resume task publishes "
                f"them within {settings.STATS_BULK_RESUME_INTERVAL}s of the broker coming back.",
                style_func=self.style.WARNING,
            )
            raise CommandError(f"Bulk run {run.pk} is not on the queue yet.")
        if wait:
            self._wait(run, poll=poll)

    def _wait(self, run: BulkRun, *, poll: float) -> None:
        stopped = f"Stopped waiting; bulk run {run.pk} carries on (cancel it in the admin)."
        with progress_line(self.stdout, interrupted=stopped) as show:
            while True:
                run.refresh_from_db()
                show(run_progress_line(run))
                if not run.is_active:
                    break
                time.sleep(poll)
        if run.status != BulkRun.Status.DONE:
            raise CommandError(_end_reason(run))
        self.stdout.write(self.style.SUCCESS(f"Bulk run {run.pk} done."))

"""``manage.py bulk_edit``: many products changed at once from a shell, or a bulk edit undone.

The command translates its arguments and calls ``catalog.bulkedit``: the preview, the
job and its undo (each run by the import worker, as one from the admin would be). It
waits for the job, or the undo, with a progress bar (``config.commands.progress_line``);
when no worker has started it within ``--worker-wait`` seconds (none runs, or the broker
could not take the message), the command runs it itself, as ``import_catalog`` imports
in its own process.

``--as USERNAME`` names whose edit it is: that user must be active and hold
``catalog.bulk_edit_product``, as in the admin, or the command refuses before writing
anything. Without ``--as`` the edit is the operator's: whoever can run ``manage.py``
on the server can change the database anyway, so the command is not refused, and the
history records the edit with no user (docs/operations.md, bulk_edit).
"""

import argparse
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError, CommandParser

from catalog.bulkedit.jobs import bulk_edit_create, bulk_edit_run
from catalog.bulkedit.operations import (
    PRICE_AMOUNT,
    PRICE_PERCENT,
    PRICE_ROUND,
    PRICE_SET,
    STOCK_ADD,
    STOCK_SET,
    BulkEditError,
    Operation,
    number,
    operation_status,
)
from catalog.bulkedit.preview import (
    Preview,
    ProductPreview,
    bulk_edit_preview,
    category_operation,
    products_select,
)
from catalog.bulkedit.undo import bulk_edit_undo_queue, bulk_edit_undo_run
from catalog.models import BulkEdit, Product
from catalog.selectors import category_names
from config.commands import (
    MAX_ID,
    ServiceCommand,
    progress_bar,
    progress_line,
    seconds,
    whole_number,
)
from config.humanize import quantity
from config.outbox import Unsent, unsent

#: Products (and conflicts) printed before "... and N more".
SHOWN = 50
#: What ``--as`` must hold, as the admin's bulk edit pages ask.
PERMISSION = "catalog.bulk_edit_product"
SETTABLE = ("status", "category", "price", "stock")


class Command(ServiceCommand):
    help = (
        "Change many products at once: select them by category (with its subcategories) "
        "and/or SKU, preview with --dry-run, apply in the background, undo with --undo N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--category",
            metavar="SLUG_PATH",
            help="A category (path as the export writes it) and its subcategories.",
        )
        parser.add_argument(
            "--sku",
            metavar="SKU",
            action="append",
            default=[],
            help="A product (or variant) SKU; repeat for more.",
        )
        parser.add_argument(
            "--price-percent",
            metavar="N",
            help="Each variant's price times 1 + N/100, rounded half-up to cents (N may be "
            "negative).",
        )
        parser.add_argument("--price-amount", metavar="N", help="Add N to each price (or -N).")
        parser.add_argument(
            "--round-99", action="store_true", help="Round each new price to the nearest .99."
        )
        parser.add_argument("--stock-add", metavar="N", help="Add N to each stock (or -N).")
        parser.add_argument(
            "--set",
            metavar="FIELD=VALUE",
            action="append",
            default=[],
            help="status=draft|published, category=SLUG_PATH, price=N or stock=N.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the preview; change nothing."
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="Whose edit it is (history names them).",
        )
        parser.add_argument(
            "--undo", metavar="N", type=whole_number(1, MAX_ID), help="Undo bulk edit N."
        )
        parser.add_argument(
            "--worker-wait",
            type=seconds(3600),
            default=30.0,
            metavar="SECONDS",
            help="Apply the edit (or the undo) here if no worker has started it after this "
            "long (30).",
        )
        # Seconds between two looks at the job while waiting; hidden, as tests need it most.
        parser.add_argument("--poll", type=seconds(60), default=0.5, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        undo = options["undo"] is not None
        try:
            user = _user(options["as_user"])
            if undo:
                if (
                    options["category"]
                    or options["sku"]
                    or options["dry_run"]
                    or _operations_given(options)
                ):
                    raise BulkEditError("--undo N takes no selection, operation or --dry-run.")
                with unsent() as not_sent:
                    job = bulk_edit_undo_queue(job_id=options["undo"], user=user)
            else:
                found = self._queue_edit(options, user)
                if found is None:
                    return
                job, not_sent = found
        except BulkEditError as exc:
            raise CommandError(str(exc)) from None
        if undo:
            self.stdout.write(
                f"Undo of bulk edit {job.pk} queued: {quantity(job.undo_total, 'product')} "
                f"to restore ({job.summary})."
            )
        else:
            self.stdout.write(
                f"Bulk edit {job.pk} queued: {quantity(job.total, 'product')} to change "
                f"({job.summary})."
            )
        worker_wait = 0 if not_sent else options["worker_wait"]
        self._wait(job, undo=undo, worker_wait=worker_wait, poll=options["poll"])
        if undo:
            self._print_undone(job)
        else:
            self._print_end(job)

    def _queue_edit(
        self, options: dict[str, Any], user: AbstractBaseUser | None
    ) -> tuple[BulkEdit, list[Unsent]] | None:
        """Preview the edit and record its job (None after a dry run, or with nothing to
        change); raises ``BulkEditError`` for bad input or a preview with errors."""
        selection = products_select(category_path=options["category"], skus=options["sku"])
        preview = bulk_edit_preview(selection=selection, operations=_operations(options))
        if options["dry_run"]:
            self._print_preview(preview)
            if preview.errors:
                raise BulkEditError(preview.refusal())
            return None
        if not preview.errors and not preview.changed:
            # Run twice, an edit finds everything done: that is success, not bad input.
            self.stdout.write(
                "Nothing to change: the selected products already have these values "
                f"({quantity(preview.selected, 'product')}; no bulk edit recorded)."
            )
            return None
        with unsent() as not_sent:
            job = bulk_edit_create(preview=preview, user=user)
        return job, not_sent

    def _print_preview(self, preview: Preview) -> None:
        changed = preview.changed
        self.stdout.write(
            f"Selected {quantity(preview.selected, 'product')} ({preview.selection.words}): "
            f"{len(changed):,} would change ({quantity(preview.values, 'value')}), "
            f"{preview.unchanged:,} unchanged; {preview.summary}."
        )
        _, names = category_names()
        for item in changed[:SHOWN]:
            self.stdout.write(f"  {item.sku} {item.name}: {_changes_text(item, names)}")
        if len(changed) > SHOWN:
            self.stdout.write(f"  ... and {len(changed) - SHOWN:,} more.")
        for error in preview.errors[:SHOWN]:
            self.stdout.write(f"  Error: {error}")
        if not preview.errors:
            self.stdout.write("Dry run: nothing changed.")

    def _wait(self, job: BulkEdit, *, undo: bool, worker_wait: float, poll: float) -> None:
        """Follow the job (its undo with ``undo``) until it ends; run it here if no worker
        has started it after ``worker_wait`` seconds."""
        run = bulk_edit_undo_run if undo else bulk_edit_run
        doing = "undoing" if undo else "applying"
        what = f"the undo of bulk edit {job.pk}" if undo else f"bulk edit {job.pk}"
        started = time.monotonic()
        stopped = f"Stopped waiting; {what} carries on."
        with progress_line(self.stdout, interrupted=stopped) as show:

            def line(done: int, total: int, tail: str) -> None:
                percent = 100 * done // total if total else 100
                show(f"{progress_bar(percent)} | {done:,}/{quantity(total, 'product')} | {tail}")

            while True:
                job.refresh_from_db()
                status = job.undo_status if undo else job.status
                done, total = (job.undo_done, job.undo_total) if undo else (job.done, job.total)
                if status == BulkEdit.Status.QUEUED:
                    if time.monotonic() - started >= worker_wait:
                        self.stdout.write(f"No worker started {what}: {doing} it here.")
                        run(job_id=job.pk, on_progress=lambda d, t: line(d, t, doing))
                        continue
                    line(0, total, "waiting for the import worker")
                elif status in BulkEdit.ACTIVE:
                    line(done, total, doing)
                else:
                    line(done, total, BulkEdit.Status(status).label.lower())
                    break
                time.sleep(poll)

    def _print_end(self, job: BulkEdit) -> None:
        if job.status == BulkEdit.Status.FAILED:
            last = (job.error.strip().splitlines() or ["see the import worker's log"])[-1]
            raise CommandError(f"Bulk edit {job.pk} failed, {job.changed:,} changed: {last}")
        if job.status == BulkEdit.Status.CANCELLED:
            raise CommandError(
                f"Bulk edit {job.pk} was cancelled after {quantity(job.done, 'product')}."
            )
        if job.unsent:
            self.stderr.write(f"Warning: {job.unsent}", style_func=self.style.WARNING)
        if job.conflicts:
            skus = ", ".join(job.conflict_skus[:SHOWN])
            more = f" and {job.conflicts - SHOWN:,} more" if job.conflicts > SHOWN else ""
            self.stdout.write(
                f"{quantity(job.conflicts, 'conflict')}: saved by someone since the preview, "
                f"left as they were: {skus}{more}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Bulk edit {job.pk} done: {quantity(job.changed, 'product')} changed, "
                f"{quantity(job.conflicts, 'conflict')}. Undo: manage.py bulk_edit --undo {job.pk}"
            )
        )

    def _print_undone(self, job: BulkEdit) -> None:
        if job.undo_status == BulkEdit.Status.FAILED:
            last = (job.undo_error.strip().splitlines() or ["see the import worker's log"])[-1]
            raise CommandError(
                f"The undo of bulk edit {job.pk} failed after "
                f"{quantity(job.undo_done, 'product')}: {last} (run --undo {job.pk} again to "
                "go on)"
            )
        if job.unsent:
            self.stderr.write(f"Warning: {job.unsent}", style_func=self.style.WARNING)
        lines = job.undo_conflict_lines
        if job.undo_conflicts:
            self.stdout.write(
                f"{quantity(job.undo_conflicts, 'conflict')}: values changed since bulk edit "
                f"{job.pk}, left as they are:"
            )
            for _, sentence in lines[:SHOWN]:
                self.stdout.write(f"  {sentence}")
            if job.undo_conflicts > SHOWN:
                self.stdout.write(f"  ... and {job.undo_conflicts - SHOWN:,} more.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Bulk edit {job.pk} undone: {quantity(job.undo_restored, 'product')} restored, "
                f"{quantity(job.undo_conflicts, 'conflict')}."
            )
        )


def _user(username: str | None) -> AbstractBaseUser | None:
    """The ``--as`` user, who must be allowed to bulk edit; None without ``--as``."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise BulkEditError(f"No user named {username!r}.")
    if not user.has_perm(PERMISSION):  # False for an inactive user, True for a superuser
        raise BulkEditError(
            f"User {username!r} may not edit many products at once: they need the "
            f"{PERMISSION} permission (the editors' group has it)."
        )
    return user


def _operations_given(options: dict[str, Any]) -> bool:
    keys = ("price_percent", "price_amount", "stock_add", "set")
    return any(options[key] for key in keys) or options["round_99"]


def _operations(options: dict[str, Any]) -> list[Operation]:
    """The operations in the order they apply: settings first, then changes by amount."""
    sets: dict[str, str] = {}
    for item in options["set"]:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in SETTABLE:
            raise BulkEditError(
                f"--set {item!r}: use one of {', '.join(SETTABLE)}, as FIELD=VALUE."
            )
        sets[name] = value.strip()
    ops: list[Operation] = []
    if "status" in sets:
        ops.append(operation_status(sets["status"]))
    if "category" in sets:
        ops.append(category_operation(sets["category"]))
    if "price" in sets:
        ops.append(Operation(PRICE_SET, str(number(sets["price"], what="--set price"))))
    if options["price_percent"] is not None:
        value = number(options["price_percent"], what="--price-percent")
        ops.append(Operation(PRICE_PERCENT, str(value)))
    if options["price_amount"] is not None:
        value = number(options["price_amount"], what="--price-amount")
        ops.append(Operation(PRICE_AMOUNT, str(value)))
    if options["round_99"]:
        ops.append(Operation(PRICE_ROUND, ".99"))
    if "stock" in sets:
        ops.append(Operation(STOCK_SET, str(_whole(sets["stock"], "--set stock"))))
    if options["stock_add"] is not None:
        ops.append(Operation(STOCK_ADD, str(_whole(options["stock_add"], "--stock-add"))))
    return ops


def _whole(text: str, what: str) -> int:
    value = number(text, what=what)
    if value != value.to_integral_value():
        raise BulkEditError(f"{what}: {text!r} is not a whole number.")
    return int(value)


def _changes_text(item: ProductPreview, names: dict[int, str]) -> str:
    labels: dict[Any, str] = dict(Product.Status.choices)
    parts = []
    for change in item.changes:
        before, after = change.before, change.after
        if change.field == "status":
            before, after = labels.get(before, before), labels.get(after, after)
        elif change.field == "category":
            before, after = names.get(before, ""), names.get(after, "")  # type: ignore[call-overload]
        where = f"{change.variant_sku} " if change.variant_sku else ""
        parts.append(f"{where}{change.field} {before or 'none'} -> {after or 'none'}")
    return "; ".join(parts)

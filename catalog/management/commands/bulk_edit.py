"""``manage.py bulk_edit``: many products changed at once from a shell, or a bulk edit undone.

The command translates its arguments and calls ``catalog.bulkedit``: the preview, the
job (applied by the import worker, as one from the admin would be), the undo. It waits
for the job with a progress bar; when no worker has started it within
``--worker-wait`` seconds (none runs, or the broker could not take the message), the
command applies it itself, as ``import_catalog`` imports in its own process.
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
from catalog.bulkedit.undo import bulk_edit_undo
from catalog.models import BulkEdit, Product
from catalog.selectors import category_names
from config.commands import MAX_ID, ServiceCommand, seconds, whole_number
from config.humanize import quantity
from config.outbox import unsent

#: Products (and conflicts) printed before "... and N more".
SHOWN = 50
BAR_WIDTH = 30
#: Exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
INTERRUPTED = 130
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
            help="Apply the edit here if no worker has started it after this long (30).",
        )
        # Seconds between two looks at the job while waiting; hidden, as tests need it most.
        parser.add_argument("--poll", type=seconds(60), default=0.5, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = _user(options["as_user"])
            if options["undo"] is not None:
                if (
                    options["category"]
                    or options["sku"]
                    or options["dry_run"]
                    or _operations_given(options)
                ):
                    raise BulkEditError("--undo N takes no selection, operation or --dry-run.")
                self._undo(options["undo"], user)
                return
            selection = products_select(category_path=options["category"], skus=options["sku"])
            preview = bulk_edit_preview(selection=selection, operations=_operations(options))
            if options["dry_run"]:
                self._print_preview(preview)
                if preview.errors:
                    raise BulkEditError(preview.refusal())
                return
            if not preview.errors and not preview.changed:
                # Run twice, an edit finds everything done: that is success, not bad input.
                self.stdout.write(
                    "Nothing to change: the selected products already have these values "
                    f"({quantity(preview.selected, 'product')}; no bulk edit recorded)."
                )
                return
            with unsent() as not_sent:
                job = bulk_edit_create(preview=preview, user=user)
        except BulkEditError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Bulk edit {job.pk} queued: {quantity(job.total, 'product')} to change "
            f"({job.summary})."
        )
        self._wait(job, worker_wait=0 if not_sent else options["worker_wait"], poll=options["poll"])

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

    def _wait(self, job: BulkEdit, *, worker_wait: float, poll: float) -> None:
        tty = self.stdout.isatty()
        last = ""
        started = time.monotonic()

        def show(done: int, total: int, tail: str) -> None:
            nonlocal last
            percent = 100 * done // total if total else 100
            filled = BAR_WIDTH * percent // 100
            line = (
                f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {percent:3d}% | "
                f"{done:,}/{quantity(total, 'product')} | {tail}"
            )
            if tty:
                self.stdout.write("\r" + line.ljust(len(last)), ending="")
                self.stdout.flush()
            elif line != last:
                self.stdout.write(line)
            last = line

        try:
            while True:
                job.refresh_from_db()
                if job.status == BulkEdit.Status.QUEUED:
                    if time.monotonic() - started >= worker_wait:
                        self.stdout.write(
                            f"No worker started bulk edit {job.pk}: applying it here."
                        )
                        bulk_edit_run(
                            job_id=job.pk, on_progress=lambda d, t: show(d, t, "applying")
                        )
                        continue
                    show(0, job.total, "waiting for the import worker")
                elif job.is_active:
                    show(job.done, job.total, "applying")
                else:
                    show(job.done, job.total, job.get_status_display().lower())
                    break
                time.sleep(poll)
        except KeyboardInterrupt:
            if tty:
                self.stdout.write("")
            raise CommandError(
                f"Stopped waiting; bulk edit {job.pk} carries on.", returncode=INTERRUPTED
            ) from None
        if tty:
            self.stdout.write("")
        self._print_end(job)

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

    def _undo(self, job_id: int, user: AbstractBaseUser | None) -> None:
        result = bulk_edit_undo(job_id=job_id, user=user)
        conflicts = result.conflicts
        if conflicts:
            self.stdout.write(
                f"{quantity(len(conflicts), 'conflict')}: values changed since bulk edit "
                f"{job_id}, left as they are:"
            )
            for conflict in conflicts[:SHOWN]:
                self.stdout.write(f"  {conflict.sentence()}")
            if len(conflicts) > SHOWN:
                self.stdout.write(f"  ... and {len(conflicts) - SHOWN:,} more.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Bulk edit {job_id} undone: {quantity(result.restored, 'product')} restored, "
                f"{quantity(len(conflicts), 'conflict')}."
            )
        )


def _user(username: str | None) -> AbstractBaseUser | None:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise BulkEditError(f"No user named {username!r}.")
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

"""What an import found and did: the report an editor reads and ``CatalogImport.report`` keeps.

Bounded whatever the file: the first few row errors of each kind (a column and a rule)
with every kind's count, the first conflicts with their count, the first changed and new
products with the totals. A report is a few hundred KB at most (a file of a million
junk rows once stored one of 338 MB, and every view of Catalog > Imports then loaded it).
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from catalog.imports.errors import ErrorLog, RowError
from catalog.imports.plan import Conflict, FieldChange, Plan, ProductChange
from config.humanize import quantity

#: New products listed by SKU (their count is always whole).
SHOWN_NEW = 200


@dataclass(frozen=True)
class ErrorKind:
    column: str
    #: The check that failed (see ``RowError.rule``).
    rule: str
    #: Rows with this error, all of them (not only those kept).
    count: int
    #: The first such error's message, as an example.
    example: str


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    rows: int = 0
    products: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    #: True once the import committed (never for a dry run or a refused file).
    applied: bool = False
    #: A refusal of the whole file (one sentence), else empty.
    file_error: str = ""
    #: The first errors of each kind, by line; ``error_count`` counts them all.
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    #: Every kind of error found, the most frequent first.
    error_kinds: list[ErrorKind] = field(default_factory=list)
    #: (column, rule, message, rows) of each kept problem found on more than one row,
    #: its rows counted whole (``ErrorLog.repeats``).
    error_repeats: list[tuple[str, str, str, int]] = field(default_factory=list)
    #: How a file names a category, with a real example; set when a category was not found.
    category_hint: str = ""
    #: The line reading stopped at after too many errors (0: the file was read whole).
    stopped_at: int = 0
    #: The first conflicts; ``conflict_count`` counts them all.
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    #: The first changed products, field by field, and the first new SKUs with their line.
    changes: list[ProductChange] = field(default_factory=list)
    new_skus: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.file_error or self.error_count or self.conflict_count)

    def summary(self) -> str:
        """One line: what happened, or why nothing did."""
        if self.file_error:
            return self.file_error
        if self.stopped_at:
            first = f" (the first: {self.errors[0]})" if self.errors else ""
            return (
                f"Nothing imported: stopped at line {self.stopped_at:,} after "
                f"{quantity(self.error_count, 'row error')}{first}; is it the right file?"
            )
        if not self.ok:
            return (
                f"Nothing imported: {quantity(self.error_count, 'row error')}, "
                f"{quantity(self.conflict_count, 'conflict')}."
            )
        counts = (
            f"{self.new:,} new, {self.changed:,} changed, {self.unchanged:,} unchanged "
            f"{'product' if self.products == 1 else 'products'} ({quantity(self.rows, 'row')})"
        )
        if self.dry_run:
            return f"Dry run, nothing saved: {counts}."
        return f"Imported: {counts}."

    def record_errors(self, errors: ErrorLog, *, stopped_at: int = 0) -> None:
        self.errors = errors.sorted()
        self.error_count = errors.total
        firsts: dict[tuple[str, str], str] = {}
        for error in self.errors:
            firsts.setdefault(error.kind, error.message)
        self.error_kinds = [
            ErrorKind(column, rule, count, firsts.get((column, rule), ""))
            for (column, rule), count in sorted(errors.counts.items(), key=lambda kv: -kv[1])
        ]
        self.error_repeats = [
            (column, rule, message, rows)
            for (column, rule, message), rows in errors.repeats.items()
            if rows > 1
        ]
        self.stopped_at = stopped_at

    def record_plan(self, plan: Plan) -> None:
        self.record_errors(plan.errors, stopped_at=plan.stopped_at)
        self.conflicts = plan.conflicts
        self.conflict_count = plan.conflict_count
        self.new = len(plan.new)
        self.changed = len(plan.updates)
        self.unchanged = plan.unchanged
        self.changes = plan.changes
        self.new_skus = [(spec.sku, spec.line) for spec in plan.new[:SHOWN_NEW]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        """A stored report, of this version or an earlier one (no kinds, no counts)."""
        data = dict(data)
        data["errors"] = [RowError(**e) for e in data.get("errors", [])]
        data["error_kinds"] = [ErrorKind(**k) for k in data.get("error_kinds", [])]
        data["error_repeats"] = [tuple(r) for r in data.get("error_repeats", [])]
        data.setdefault("error_count", len(data["errors"]))
        data["conflicts"] = [Conflict(**c) for c in data.get("conflicts", [])]
        data.setdefault("conflict_count", len(data["conflicts"]))
        data["changes"] = [
            ProductChange(c["sku"], c["line"], [FieldChange(**f) for f in c["changes"]])
            for c in data.get("changes", [])
        ]
        data["new_skus"] = [tuple(s) for s in data.get("new_skus", [])]
        return cls(**data)

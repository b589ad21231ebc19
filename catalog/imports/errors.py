"""A file refused whole (``ImportFileError``), and row errors collected within bounds.

Every row error is counted, the first few of each kind kept. A file of a million junk
rows has millions of errors; listing them all once took 3.7 GB in the import worker and
stored a 338 MB report. What an editor needs is the first few errors of each kind (a
column and a rule: "price, not a number") with the number of rows each kind affects,
and reading stops after ``stop_after`` errors: the file is wrong, and the rest of it
would only repeat the point. So the kept errors are at most (kinds x ``keep_per_kind``),
whatever the file.

Each error names its row's product (SKU and name), so that an editor reads a product's
problems together. The same problem on many rows (one bad category on 240 rows) is one
problem to fix: ``repeats`` counts every row of each kept problem, kept or not, so the
page can say "rows 3, 7, 9 and 237 more" (bounded: only kept problems are counted).
"""

from dataclasses import dataclass, field

from catalog.validators import CONTROL_CHARACTERS


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is one sentence for the user."""


#: Longest message kept; a message quotes at most ``quoted()`` of a cell.
MESSAGE_CHARS = 300
#: Characters of a cell a message quotes.
QUOTED_CHARS = 40
#: Characters of a product's SKU and name an error keeps.
NAMED_CHARS = 80


def quoted(text: str, chars: int = QUOTED_CHARS) -> str:
    """``repr`` of the cell's start, for a message: never the whole of a long cell."""
    if len(text) <= chars:
        return repr(text)
    return f"{text[:chars]!r}... ({len(text):,} characters)"


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str
    #: The check that failed (``sku``, ``required``, ``differs``...): with the column, the
    #: error's kind. Empty in reports stored before kinds existed.
    rule: str = ""
    #: The row's product SKU ("" on a row without one); None in reports stored before
    #: errors named their product.
    sku: str | None = None
    #: The row's product name, as the file writes it.
    product: str = ""

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"

    @property
    def kind(self) -> tuple[str, str]:
        return (self.column, self.rule)

    @property
    def problem(self) -> tuple[str, str, str]:
        """What is wrong, wherever it is: the same on every row with the same mistake."""
        return (self.column, self.rule, self.message)


@dataclass
class ErrorLog:
    """Row errors as they are found, in bounded memory (see the module docstring)."""

    keep_per_kind: int
    stop_after: int
    kept: list[RowError] = field(default_factory=list)
    #: Errors found per kind, kept or not.
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    total: int = 0
    #: Rows with each kept problem (``RowError.problem``), kept or not.
    repeats: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def add(
        self,
        line: int,
        column: str,
        rule: str,
        message: str,
        *,
        sku: str = "",
        product: str = "",
    ) -> None:
        """Count the error; keep it if its kind has room (``sku``, ``product``: the row's)."""
        kind = (column, rule)
        seen = self.counts.get(kind, 0)
        self.counts[kind] = seen + 1
        self.total += 1
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 3] + "..."
        problem = (column, rule, message)
        if problem in self.repeats:
            self.repeats[problem] += 1
        if seen < self.keep_per_kind:
            self.repeats.setdefault(problem, 1)
            self.kept.append(
                RowError(line, column, message, rule, sku[:NAMED_CHARS], product[:NAMED_CHARS])
            )

    def about(self, sku: str, product: str) -> "ProductErrors":
        """This log, for the errors of one row of the product ``sku`` named ``product``."""
        return ProductErrors(self, sku, product)

    @property
    def full(self) -> bool:
        """Enough errors to stop reading: the editor has plenty to fix."""
        return self.total >= self.stop_after

    def sorted(self) -> list[RowError]:
        return sorted(self.kept, key=lambda e: e.line)


@dataclass(frozen=True)
class ProductErrors:
    """An ``ErrorLog`` for one product's rows: each error added names the product."""

    log: ErrorLog
    sku: str
    product: str

    def add(self, line: int, column: str, rule: str, message: str) -> None:
        # The row's own SKU and name, which may hold the control characters an error is
        # about: replaced here, when an error is logged, not for every row read.
        self.log.add(
            line,
            column,
            rule,
            message,
            sku=CONTROL_CHARACTERS.sub("\ufffd", self.sku),
            product=CONTROL_CHARACTERS.sub("\ufffd", self.product),
        )

    @property
    def total(self) -> int:
        return self.log.total

"""A file refused whole (``ImportFileError``), and row errors collected within bounds.

Every row error is counted, the first few of each kind kept. A file of a million junk
rows has millions of errors; listing them all once took 3.7 GB in the import worker and
stored a 338 MB report. What an editor needs is the first few errors of each kind (a
column and a rule: "price, not a number") with the number of rows each kind affects,
and reading stops after ``stop_after`` errors: the file is wrong, and the rest of it
would only repeat the point. So the kept errors are at most (kinds x ``keep_per_kind``),
whatever the file.
"""

from dataclasses import dataclass, field


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is one sentence for the user."""


#: Longest message kept; a message quotes at most ``quoted()`` of a cell.
MESSAGE_CHARS = 300
#: Characters of a cell a message quotes.
QUOTED_CHARS = 40


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

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"

    @property
    def kind(self) -> tuple[str, str]:
        return (self.column, self.rule)


@dataclass
class ErrorLog:
    """Row errors as they are found, in bounded memory (see the module docstring)."""

    keep_per_kind: int
    stop_after: int
    kept: list[RowError] = field(default_factory=list)
    #: Errors found per kind, kept or not.
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    total: int = 0

    def add(self, line: int, column: str, rule: str, message: str) -> None:
        kind = (column, rule)
        seen = self.counts.get(kind, 0)
        self.counts[kind] = seen + 1
        self.total += 1
        if seen < self.keep_per_kind:
            if len(message) > MESSAGE_CHARS:
                message = message[: MESSAGE_CHARS - 3] + "..."
            self.kept.append(RowError(line, column, message, rule))

    @property
    def full(self) -> bool:
        """Enough errors to stop reading: the editor has plenty to fix."""
        return self.total >= self.stop_after

    def sorted(self) -> list[RowError]:
        return sorted(self.kept, key=lambda e: e.line)

"""An import's errors as an editor fixes them: per product, each problem once with its rows.

The report keeps row errors one per row (``errors.RowError``), but an editor fixes
problems, not rows: one bad category on 240 rows is one thing to fix, and a product's
problems are fixed together, in its rows. So the preview lists, under each product with
errors (its SKU and name), each of its problems once with the rows it is on ("rows 3, 7
and 9"); a problem found in several products is listed once, with all its rows, above
them. Row numbers stop after ``SHOWN_ROWS`` ("and 240 more"). Conflicts follow, one per
product. ``error_report_csv`` writes the same lines as a file to download (the import's
page and the job centre link it), with the refusal of a whole file first.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.imports import layout
from catalog.imports.errors import RowError
from catalog.imports.layout import cell_out
from catalog.imports.report import ImportReport
from catalog.imports.rows import CATEGORY_MISSING

#: Row numbers a problem lists before "and N more".
SHOWN_ROWS = 10
SEVERAL_PRODUCTS = "In several products"
NO_SKU = "Rows without a product SKU"
CONFLICTS = "Changed since the export"


@dataclass(frozen=True)
class ProblemLine:
    #: The group it is listed under: a product ("TEE-1 · Classic tee"), several, or none ("").
    heading: str
    #: 'Price '-4': A price cannot be negative: row 3.'
    text: str
    #: How to put it right, where the problem alone does not say (a category's path).
    hint: str = ""


def rows_text(lines: Sequence[int], total: int) -> str:
    """'row 3', 'rows 3, 7 and 9', 'rows 3, 7, ... and 240 more': ``total`` rows in all."""
    shown = [f"{line:,}" for line in lines[:SHOWN_ROWS]]
    more = total - len(shown)
    if more > 0:
        shown.append(f"{more:,} more")
    word = "row" if total == 1 else "rows"
    if len(shown) == 1:
        return f"{word} {shown[0]}"
    return f"{word} {', '.join(shown[:-1])} and {shown[-1]}"


def reason(error: RowError) -> str:
    """The problem in a sentence that names its column, without the row."""
    message, column = error.message.rstrip("."), error.column
    if message.lower().startswith(column.lower()):
        text = message  # 'Category "x" does not exist'
    elif message[:1] in "'\"" or message.startswith("differs"):
        text = f"{column} {message}"  # "price '-4': ...", "name differs from line 2 ..."
    else:
        text = f"{column}: {message}"
    return text[:1].upper() + text[1:]


def _heading(error: RowError) -> str:
    if error.sku is None:  # a report stored before errors named their product
        return ""
    if not error.sku:
        return NO_SKU
    return f"{error.sku} · {error.product}" if error.product else error.sku


def problem_lines(report: ImportReport) -> list[ProblemLine]:
    """The report's errors and conflicts in the order the preview lists them (see above)."""
    repeats = {
        (column, rule, message): rows for column, rule, message, rows in report.error_repeats
    }
    by_problem: dict[tuple[str, str, str], list[RowError]] = {}
    for error in sorted(report.errors, key=lambda e: e.line):
        by_problem.setdefault(error.problem, []).append(error)
    shared: list[ProblemLine] = []
    products: dict[str, list[ProblemLine]] = {}
    for problem, errors in by_problem.items():
        lines = sorted({e.line for e in errors})
        total = max(repeats.get(problem, len(lines)), len(lines))
        hint = report.category_hint if problem[:2] == (layout.CATEGORY, CATEGORY_MISSING) else ""
        text = f"{reason(errors[0])}: {rows_text(lines, total)}."
        headings = {_heading(e) for e in errors}
        if len(headings) > 1:
            shared.append(ProblemLine(SEVERAL_PRODUCTS, text, hint))
        else:
            heading = headings.pop()
            products.setdefault(heading, []).append(ProblemLine(heading, text, hint))
    ordered = [line for group in products.values() for line in group]
    conflicts = [
        ProblemLine(
            CONFLICTS,
            f"{c.sku} was changed since the export (version {c.file_version} in the file, "
            f"{c.current_version} now), export it again and redo the change: row {c.line:,}.",
        )
        for c in report.conflicts
    ]
    return [*shared, *ordered, *conflicts]


def errors_listed(report: ImportReport) -> int:
    """Row errors the lines account for: those kept, and the rows each line counts beyond."""
    kept: dict[tuple[str, str, str], int] = {}
    for error in report.errors:
        kept[error.problem] = kept.get(error.problem, 0) + 1
    beyond = sum(
        max(0, rows - kept.get((column, rule, message), 0))
        for column, rule, message, rows in report.error_repeats
    )
    return len(report.errors) + beyond


@dataclass(frozen=True)
class ProblemGroup:
    heading: str
    lines: list[ProblemLine]


def grouped(lines: Sequence[ProblemLine]) -> list[ProblemGroup]:
    """Consecutive lines under one heading together (a page of ``problem_lines``)."""
    groups: list[ProblemGroup] = []
    for line in lines:
        if groups and groups[-1].heading == line.heading:
            groups[-1].lines.append(line)
        else:
            groups.append(ProblemGroup(line.heading, [line]))
    return groups


#: The error report's columns.
REPORT_COLUMNS = ("Product", "Problem", "How to fix")


def error_report_csv(report: ImportReport) -> str:
    """The report's problems as a CSV file an editor opens beside theirs: one line per
    problem, as the page lists them. Text that starts like a formula gets the export's
    quote (``layout.cell_out``): a file name or a cell's value is the uploader's text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    if report.file_error:
        writer.writerow(["", cell_out(report.file_error), ""])
    for line in problem_lines(report):
        writer.writerow([cell_out(line.heading), cell_out(line.text), cell_out(line.hint)])
    return out.getvalue()

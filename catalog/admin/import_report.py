"""An import's page: its report, with the problems and the changes shown a page at a time.

A report is bounded when it is made (``catalog.imports.report``), but still holds up to
a few thousand lines: the page shows every kind of problem with its count, then the
problems (per product: ``catalog.imports.problems``) and the changed products one page
at a time (``?problems=2``, ``?changes=3``).
The list of imports never loads a report at all (``ImportChangeList``).
"""

from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.imports.problems import errors_listed, grouped, problem_lines
from catalog.imports.report import ImportReport
from catalog.models import CatalogImport

#: Problems (row errors, then conflicts) and changed products on one page.
PROBLEMS_PER_PAGE = 50
CHANGES_PER_PAGE = 25


class ImportChangeList(ChangeList):
    """Catalog > Imports: the report column is never read (it is only shown on an import's
    page; reports stored whole by earlier versions once took seconds and gigabytes here)."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        return super().get_queryset(request, exclude_parameters).defer("report")


def report_context(request: HttpRequest, job: CatalogImport | None) -> dict[str, Any]:
    """What ``admin/catalog/catalogimport/report.html`` shows for ``job``, if it has a report."""
    if job is None or not job.report:
        return {}
    report = ImportReport.from_dict(job.report)
    problems = problem_lines(report)
    listed = errors_listed(report) + len(report.conflicts)
    paged = _paged(request, problems, "problems", PROBLEMS_PER_PAGE)
    kinds = [(k.column, k.example, f"{k.count:,}") for k in report.error_kinds]
    if report.conflict_count:
        kinds.append(("version", "changed since the export", f"{report.conflict_count:,}"))
    return {
        "report": report,
        "kinds": kinds,
        "counts": {"changed": f"{report.changed:,}", "new": f"{report.new:,}"},
        "problems": paged,
        "problem_groups": grouped(list(paged["page"])),
        "problems_note": _unlisted(report.error_count + report.conflict_count - listed),
        # Once imported, the catalog's values before the file are history, not "now".
        "old_heading": "Before" if report.applied else "Now",
        "changes": _paged(request, report.changes, "changes", CHANGES_PER_PAGE),
        "changes_unlisted": report.changed > len(report.changes),
        "new_unlisted": report.new > len(report.new_skus),
    }


def _paged(request: HttpRequest, items: list[Any], parameter: str, per_page: int) -> dict[str, Any]:
    """One page of ``items`` (``?<parameter>=N``), with links that keep the other lists' pages."""
    page = Paginator(items, per_page).get_page(request.GET.get(parameter))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[parameter] = str(number)
        return f"?{query.urlencode()}"

    return {
        "page": page,
        "previous": link(page.previous_page_number()) if page.has_previous() else "",
        "next": link(page.next_page_number()) if page.has_next() else "",
    }


def _unlisted(count: int) -> str:
    return f": the first of each kind, {count:,} more not listed" if count > 0 else ""

"""A refused save's problems named at the top of a change page, each linked to its place.

Used by the product, variant and category pages (their templates include the summary).

Django's own note ("Please correct the error below.") names nothing, and on the product
page the variants' errors sit a screen and a half lower. The summary lists every
problem: a field of the form ("Price: ..." linked to the field), a problem of an inline
table ("Variants: ..." linked to each row it concerns) and a row's own field errors
("Variants, row 2 (TEE-M), Price: ..."). A table's problem finds its rows by its error
code: the formset also puts an error with that same code on each row concerned (as
``catalog.admin.currency`` does for a row in the odd currency), so the row is marked
where it is and the summary links to it instead of repeating it.

The summary is a template (``admin/catalog/includes/error_summary.html``); its script
(``catalog/static/catalog/error_summary.js``: focus follows a link) and styles are
static files, for a strict CSP.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.utils.text import capfirst


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Problem:
    """One line of the summary: where (linked when ``links`` is empty and ``href`` set)."""

    where: str
    message: str
    href: str = ""
    #: The rows a table's problem concerns, each linked ("row 3 (TEE-M)").
    rows: tuple[Link, ...] = ()


def error_summary(adminform: Any, inline_admin_formsets: Iterable[Any]) -> list[Problem]:
    """The problems of a bound change form and its inlines, in the page's order."""
    form = adminform.form
    problems = [Problem("", str(m)) for m in form.errors.get(NON_FIELD_ERRORS, [])]
    for name in form.fields:
        if name in form.errors:
            field = form[name]
            problems += [
                Problem(str(capfirst(field.label or name)), str(m), href=_href(field))
                for m in form.errors[name]
            ]
    for inline in inline_admin_formsets:
        problems += _table_problems(inline.formset, str(capfirst(inline.opts.verbose_name_plural)))
    return problems


def _table_problems(formset: Any, title: str) -> list[Problem]:
    """A table's own problems linked to their rows, then each row's other errors."""
    table_codes = set()
    problems = []
    for error in formset.non_form_errors().as_data():
        table_codes.add(error.code)
        rows = tuple(
            Link(_row_name(form, index), _href(form[name]))
            for index, form in enumerate(formset.forms)
            for name in _fields_with_code(form, error.code)[:1]
        )
        problems += [Problem(title, message, rows=rows) for message in error]
    for index, form in enumerate(formset.forms):
        where = f"{title}, {_row_name(form, index)}"
        for error in form.non_field_errors().as_data():
            problems += [Problem(where, m, href=f"#{formset.prefix}-{index}") for m in error]
        for name in form.fields:
            for error in form.errors.as_data().get(name, []):
                if error.code is not None and error.code in table_codes:
                    continue
                label = capfirst(form.fields[name].label or name)
                problems += [Problem(f"{where}, {label}", m, href=_href(form[name])) for m in error]
    return problems


def _fields_with_code(form: forms.BaseForm, code: str | None) -> list[str]:
    if code is None:
        return []
    return [
        name
        for name, errors in form.errors.as_data().items()
        if name != NON_FIELD_ERRORS and any(e.code == code for e in errors)
    ]


def _row_name(form: forms.BaseForm, index: int) -> str:
    """A row as "row 3 (TEE-M)": the number screen readers hear in the inputs' names, and
    the first column's value (the SKU) that the eye finds in the table."""
    first = next((f for f in form.visible_fields() if f.name != "DELETE"), None)
    value = first.value() if first is not None else None
    return f"row {index + 1} ({value})" if value else f"row {index + 1}"


def _href(field: forms.BoundField) -> str:
    return f"#{field.id_for_label}" if field.id_for_label else ""


class ErrorSummaryAdmin:
    """A change page whose refused save shows the summary in place of Django's note."""

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        adminform = context.get("adminform")
        if context.get("errors") and adminform is not None:
            problems = error_summary(adminform, context.get("inline_admin_formsets", []))
            if problems:
                context["error_summary"] = problems
                # Django's note and its copy of the form's own errors: the summary says both.
                context["errors"] = []
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]

    @property
    def media(self) -> forms.Media:
        return super().media + forms.Media(  # type: ignore[misc]
            js=["catalog/error_summary.js"], css={"all": ["catalog/error_summary.css"]}
        )

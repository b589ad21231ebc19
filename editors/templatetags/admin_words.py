"""The admin's own list markup in the editors' words (docs/editors.md, "Words used on the
screens"): ``{% result_list_in_words cl %}`` is Django's ``{% result_list cl %}`` whose
select-all checkbox reads "Select every product on this page", not "Select all objects on
this page for an action". Its row checkboxes: ``config.admin.ListCheckboxes``.
"""

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import result_list
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.views.main import ChangeList
from django.template.base import Parser, Token
from django.utils.html import format_html

register = template.Library()


def list_results_in_words(cl: ChangeList) -> dict[str, Any]:
    """Django's context for change_list_results.html, the select-all box relabelled.

    Registry: config.upstream "Django list checkboxes".
    """
    context: dict[str, Any] = result_list(cl)
    headers: list[dict[str, Any]] = context["result_headers"]
    for header in headers:
        if "action-checkbox-column" in header["class_attrib"]:
            header["text"] = format_html(
                '<input type="checkbox" id="action-toggle" aria-label="Select every {} on '
                'this page">',
                cl.opts.verbose_name,
            )
    return context


@register.tag(name="result_list_in_words")
def result_list_in_words(parser: Parser, token: Token) -> InclusionAdminNode:
    """As Django's tag: change_list_results.html may still be overridden per model."""
    return InclusionAdminNode(
        parser,
        token,
        func=list_results_in_words,
        template_name="change_list_results.html",
        takes_context=False,
    )

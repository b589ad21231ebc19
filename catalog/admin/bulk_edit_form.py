"""The bulk edit's form and its selection, kept in the session between the pages.

The product list hands over either the rows ticked on its page (at most a page of ids)
or its filters and search (the list's query string, however many products they match):
never thousands of ids in a URL. Both are kept in the editor's session under a short
token, with the operations once the form is sent, and read again on each page: the
preview and the apply select the products afresh from the same filters.
"""

import copy
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.http import HttpRequest, QueryDict

from catalog.admin.category_tree import CategoryPathChoiceField
from catalog.bulkedit.operations import (
    PRICE_AMOUNT,
    PRICE_PERCENT,
    PRICE_ROUND,
    PRICE_SET,
    STOCK_ADD,
    STOCK_SET,
    BulkEditError,
    Operation,
    operation_status,
)
from catalog.bulkedit.preview import SKUS_NAMED, Selection, category_operation
from catalog.models import Category, Product
from catalog.selectors import category_slug_paths
from config.humanize import quantity

SESSION_KEY = "catalog_bulk_edits"
#: Bulk edits an editor may have open at once (tabs); the oldest is forgotten first.
KEPT = 10

LEAVE = ""


class BulkEditForm(forms.Form):
    """What to change on every selected product; empty choices leave a value as it is."""

    status = forms.ChoiceField(
        required=False,
        choices=[(LEAVE, "Leave as it is"), *Product.Status.choices],
    )
    category = CategoryPathChoiceField(
        queryset=Category.objects.all(),
        required=False,
        help_text="Move the products to this category (leave empty to keep their categories).",
    )
    price_change = forms.ChoiceField(
        label="Price",
        required=False,
        choices=[
            (LEAVE, "Leave as it is"),
            (PRICE_SET, "Set to"),
            (PRICE_PERCENT, "Raise or lower by a percentage"),
            (PRICE_AMOUNT, "Raise or lower by an amount"),
        ],
        help_text="Applies to every variant of each product. Use a minus sign to lower.",
    )
    price_value = forms.DecimalField(
        label="Price value", required=False, max_digits=14, decimal_places=2
    )
    round_99 = forms.BooleanField(
        label="Round each new price to .99",
        required=False,
        help_text="21.40 becomes 20.99, 21.60 becomes 21.99.",
    )
    stock_change = forms.ChoiceField(
        label="Stock",
        required=False,
        choices=[(LEAVE, "Leave as it is"), (STOCK_SET, "Set to"), (STOCK_ADD, "Add or remove")],
        help_text="Applies to every variant of each product. Use a minus sign to remove.",
    )
    stock_value = forms.IntegerField(label="Stock value", required=False)

    def __init__(self, *args: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The product page's category picker: searches by name, shows each as its path.
        category = self.fields["category"]
        assert isinstance(category, CategoryPathChoiceField)
        category.widget = AutocompleteSelect(
            Product._meta.get_field("category"), admin_site, choices=category.choices
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for change, value, words in (
            ("price_change", "price_value", "a price"),
            ("stock_change", "stock_value", "a stock"),
        ):
            if data.get(change) and data.get(value) is None and value not in self.errors:
                self.add_error(value, f"Give {words} for this change.")
            if not data.get(change) and data.get(value) is not None:
                self.add_error(change, "Choose what to do with this value.")
        if data.get("price_change") == PRICE_PERCENT and (data.get("price_value") or 0) <= -100:
            self.add_error("price_value", "A price cannot be lowered by 100% or more.")
        if not self.errors and not self.operations():
            raise forms.ValidationError("Choose at least one change.")
        return data

    def operations(self) -> list[Operation]:
        """The operations in the order they apply (as ``manage.py bulk_edit`` orders them)."""
        data = self.cleaned_data
        ops: list[Operation] = []
        if data.get("status"):
            ops.append(operation_status(data["status"]))
        if data.get("category") is not None:
            ops.append(category_operation(category_slug_paths()[data["category"].pk]))
        price: Decimal | None = data.get("price_value")
        if data.get("price_change") and price is not None:
            ops.append(Operation(data["price_change"], str(price)))
        if data.get("round_99"):
            ops.append(Operation(PRICE_ROUND, ".99"))
        stock: int | None = data.get("stock_value")
        if data.get("stock_change") and stock is not None:
            ops.append(Operation(data["stock_change"], str(stock)))
        return ops


# --- The selection and the operations, kept in the session ---------------------------


def bulk_edit_open(request: HttpRequest, selection: dict[str, Any]) -> str:
    """Keep a new selection (``{"ids": [...]}`` or ``{"query": "..."}``); its token."""
    kept: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    token = secrets.token_urlsafe(8)
    kept[token] = {"selection": selection, "operations": []}
    request.session[SESSION_KEY] = dict(list(kept.items())[-KEPT:])
    return token


def bulk_edit_state(request: HttpRequest, token: str) -> dict[str, Any] | None:
    state: dict[str, Any] | None = request.session.get(SESSION_KEY, {}).get(token)
    return state


def bulk_edit_keep(request: HttpRequest, token: str, operations: list[Operation]) -> None:
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[token] = {**kept[token], "operations": [op.as_dict() for op in operations]}
    request.session[SESSION_KEY] = kept


def bulk_edit_forget(request: HttpRequest, token: str) -> None:
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept.pop(token, None)
    request.session[SESSION_KEY] = kept


def selection_resolve(
    model_admin: "admin.ModelAdmin[Any]", request: HttpRequest, selection: dict[str, Any]
) -> Selection:
    """The products a kept selection takes now, with how it reads."""
    if "ids" in selection:
        rows = list(
            Product.objects.filter(pk__in=selection["ids"]).order_by("sku").values_list("pk", "sku")
        )
        skus = [sku for _, sku in rows]
        named = ", ".join(skus[:SKUS_NAMED])
        more = f" and {len(skus) - SKUS_NAMED:,} more" if len(skus) > SKUS_NAMED else ""
        return Selection(
            product_ids=sorted(pk for pk, _ in rows),
            words=f"{quantity(len(rows), 'product')} chosen on the product list: {named}{more}",
        )
    listing = copy.copy(request)
    listing.GET = QueryDict(selection["query"])
    try:
        cl = model_admin.get_changelist_instance(listing)
    except IncorrectLookupParameters:
        raise BulkEditError(
            "The product list's filter is no longer valid: filter the list again."
        ) from None
    ids = sorted(cl.queryset.order_by().values_list("pk", flat=True))
    return Selection(product_ids=ids, words=_filter_words(cl, len(ids)))


def _filter_words(cl: Any, count: int) -> str:
    """ "all 1,234 products matching the product list's filter: Status Draft, search "tee" "."""
    parts = []
    for spec in cl.filter_specs:
        if not any(name in cl.params for name in spec.expected_parameters()):
            continue
        chosen = next((str(c["display"]) for c in spec.choices(cl) if c["selected"]), "")
        parts.append(f"{spec.title.capitalize()} {chosen}".strip())
    if cl.query:
        parts.append(f"search “{cl.query}”")
    if not parts:
        return f"all {quantity(count, 'product')} of the product list"
    return (
        f"all {quantity(count, 'product')} matching the product list's filter: {', '.join(parts)}"
    )

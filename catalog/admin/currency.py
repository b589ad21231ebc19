"""One currency per product, on both pages that can set a variant's currency.

The forms only collect what a save would leave and ask ``catalog.rules``; the error is a
form error (nothing saved), never a 500.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Variant
from catalog.rules import MIXED_CURRENCIES, currency_odd_rows, product_currency_check
from config.admin import LabelledRowsFormSet


class OneCurrencyFormSet(LabelledRowsFormSet):
    """The product page's variant rows: the rows kept after the save share one currency.

    Every variant of the product is a row here, so the rows are the whole product; a
    product saved with mixed currencies before the rule existed must be fixed in the
    same save (the error names the currencies).
    """

    def clean(self) -> None:
        super().clean()
        rows = []
        for form in self.forms:
            # An untouched extra row has empty cleaned_data (Django skips its validation).
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            if data.get("currency"):
                rows.append((form, data["currency"]))
        currencies = [currency for _, currency in rows]
        try:
            product_currency_check(currencies=currencies)
        except ValidationError:
            self._mark_odd_rows(rows)
            raise

    @staticmethod
    def _mark_odd_rows(rows: list[tuple[Any, str]]) -> None:
        """An error on the currency of each odd row, with the code of the error above the
        table: the page marks the row and its summary links the problem to it
        (``catalog.admin.error_summary``)."""
        currencies = [currency for _, currency in rows]
        changed = [form.instance.pk is None or "currency" in form.changed_data for form, _ in rows]
        for index in currency_odd_rows(currencies=currencies, changed=changed):
            form, currency = rows[index]
            others = sorted({c for c in currencies if c != currency})
            form.add_error(
                "currency",
                ValidationError(
                    "The other variants use %(others)s.",
                    code=MIXED_CURRENCIES,
                    params={"others": " and ".join(others)},
                ),
            )


class VariantForm(forms.ModelForm):
    """The variant page (and its revert): the variant and its siblings share one currency."""

    class Meta:
        model = Variant
        fields = ["product", "sku", "size", "colour", "price", "currency", "stock"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        product, currency = cleaned.get("product"), cleaned.get("currency")
        if product is None or not currency:
            return cleaned
        siblings = (
            Variant.objects.filter(product=product)
            .exclude(pk=self.instance.pk)
            .values_list("currency", flat=True)
            .distinct()
        )
        try:
            product_currency_check(currencies=[currency, *siblings])
        except ValidationError as error:
            self.add_error("currency", error)
        return cleaned

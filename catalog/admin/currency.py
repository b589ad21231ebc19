"""One currency per product, on both pages that can set a variant's currency.

The forms only collect what a save would leave and ask ``catalog.rules``; the error is a
form error (nothing saved), never a 500.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog.models import Variant
from catalog.rules import product_currency_check
from config.admin import LabelledRowsFormSet


class OneCurrencyFormSet(LabelledRowsFormSet):
    """The product page's variant rows: the rows kept after the save share one currency.

    Every variant of the product is a row here, so the rows are the whole product; a
    product saved with mixed currencies before the rule existed must be fixed in the
    same save (the error names the currencies).
    """

    def clean(self) -> None:
        super().clean()
        currencies = []
        for form in self.forms:
            # An untouched extra row has empty cleaned_data (Django skips its validation).
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            if data.get("currency"):
                currencies.append(data["currency"])
        product_currency_check(currencies=currencies)


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

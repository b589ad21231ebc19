"""What a bulk edit does to one product: the operations and the values they give. Pure.

An operation is stored on the job as a small dict (``as_dict``) and read back by the
background apply, which computes each product's new values again from the values it
finds under the row lock (the same as the preview showed, unless the product was saved
since, which makes it a conflict).

Prices are rounded half-up to cents, as shops and spreadsheets do; "+10%" of 19.99 is
21.99 (21.989). The optional rounding to .99 takes the nearest price ending in .99
(21.40 -> 20.99, 21.60 -> 21.99), never below 0.99 for a price above nothing.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from catalog.models import Product, Variant
from catalog.rules import product_currency_check

CENT = Decimal("0.01")
#: The largest price a variant holds (DecimalField(max_digits=12, decimal_places=2)).
MAX_PRICE = Decimal("9999999999.99")
#: The largest stock (a PositiveIntegerField: MariaDB's INT UNSIGNED is 4294967295, but
#: the field's form and SQLite check a signed 32-bit value).
MAX_STOCK = 2_147_483_647

PRICE_PERCENT = "price_percent"
PRICE_AMOUNT = "price_amount"
PRICE_SET = "price_set"
PRICE_ROUND = "price_round_99"
STOCK_SET = "stock_set"
STOCK_ADD = "stock_add"
STATUS = "status"
CATEGORY = "category"

#: Operations that change prices (a product with mixed currencies refuses them).
PRICE_KINDS = (PRICE_PERCENT, PRICE_AMOUNT, PRICE_SET, PRICE_ROUND)
KINDS = (*PRICE_KINDS, STOCK_SET, STOCK_ADD, STATUS, CATEGORY)


class BulkEditError(ValueError):
    """Input a bulk edit cannot use, in one sentence an editor or operator reads."""


@dataclass(frozen=True)
class Operation:
    """One change to every selected product. ``value``: a number as text, a status, or a
    category id; ``label``: how the value reads (the category's path)."""

    kind: str
    value: str
    label: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "label": self.label}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> "Operation":
        return cls(kind=data["kind"], value=data["value"], label=data.get("label", ""))

    def words(self) -> str:
        """ "price +10%", "status Published", "category Clothing / Shirts"."""
        if self.kind == PRICE_PERCENT:
            return f"price {_signed(self.value)}%"
        if self.kind == PRICE_AMOUNT:
            return f"price {_signed(self.value)}"
        if self.kind == PRICE_SET:
            return f"price {self.value}"
        if self.kind == PRICE_ROUND:
            return "prices rounded to .99"
        if self.kind == STOCK_SET:
            return f"stock {self.value}"
        if self.kind == STOCK_ADD:
            return f"stock {_signed(self.value)}"
        if self.kind == STATUS:
            return f"status {Product.Status(self.value).label}"
        return f"category {self.label or 'none'}"


def _signed(text: str) -> str:
    return text if text.startswith("-") else f"+{text}"


def operations_words(operations: list[Operation]) -> str:
    return ", ".join(op.words() for op in operations)


def number(text: str, *, what: str) -> Decimal:
    """A finite decimal from the user's text, or ``BulkEditError`` naming ``what``."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise BulkEditError(f"{what}: {text!r} is not a number.") from None
    if not value.is_finite():
        raise BulkEditError(f"{what}: {text!r} is not a number.")
    return value


def operation_status(value: str) -> Operation:
    if value not in Product.Status.values:
        known = ", ".join(Product.Status.values)
        raise BulkEditError(f"No status {value!r}: a status is one of {known}.")
    return Operation(STATUS, value)


@dataclass(frozen=True)
class ValueChange:
    """One value an operation changes: the product's own (``variant_id`` None) or a variant's."""

    field: str
    before: object
    after: object
    variant_id: int | None = None
    variant_sku: str = ""


def _round_99(price: Decimal) -> Decimal:
    if price <= 0:
        return price
    return max(price.quantize(Decimal(1), rounding=ROUND_HALF_UP) - CENT, Decimal("0.99"))


def new_price(price: Decimal, operations: list[Operation]) -> Decimal:
    """The variant's price after the price operations, in order (each rounded to cents)."""
    for op in operations:
        if op.kind == PRICE_PERCENT:
            price = price * (100 + Decimal(op.value)) / 100
        elif op.kind == PRICE_AMOUNT:
            price = price + Decimal(op.value)
        elif op.kind == PRICE_SET:
            price = Decimal(op.value)
        elif op.kind == PRICE_ROUND:
            price = _round_99(price.quantize(CENT, rounding=ROUND_HALF_UP))
        price = price.quantize(CENT, rounding=ROUND_HALF_UP)
    return price


def new_stock(stock: int, operations: list[Operation]) -> int:
    for op in operations:
        if op.kind == STOCK_SET:
            stock = int(op.value)
        elif op.kind == STOCK_ADD:
            stock = stock + int(op.value)
    return stock


def product_changes(
    product: Product, variants: list[Variant], operations: list[Operation]
) -> tuple[list[ValueChange], list[str]]:
    """The values the operations change on ``product`` and its variants, and the rules
    they would break (each an editor's sentence starting with the product's SKU)."""
    changes: list[ValueChange] = []
    errors: list[str] = []
    for op in operations:
        if op.kind == STATUS and product.status != op.value:
            changes.append(ValueChange("status", product.status, op.value))
        elif op.kind == CATEGORY:
            category_id = int(op.value) if op.value else None
            if product.category_id != category_id:
                changes.append(ValueChange("category", product.category_id, category_id))
    kinds = {op.kind for op in operations}
    if kinds & set(PRICE_KINDS) and variants:
        try:
            product_currency_check(currencies=[v.currency for v in variants])
        except ValidationError:
            errors.append(
                f"{product.sku}: its variants are priced in more than one currency "
                f"({' and '.join(sorted({v.currency for v in variants}))}); change their "
                "prices one product at a time (prices are not converted)."
            )
    for variant in variants:
        if kinds & set(PRICE_KINDS):
            price = new_price(variant.price, operations)
            if price < 0:
                errors.append(
                    f"{product.sku}: {variant.sku} would cost {price}: a price cannot be negative."
                )
            elif price > MAX_PRICE:
                errors.append(f"{product.sku}: {variant.sku} would cost {price}: too large.")
            if price != variant.price:
                changes.append(ValueChange("price", variant.price, price, variant.pk, variant.sku))
        if kinds & {STOCK_SET, STOCK_ADD}:
            stock = new_stock(variant.stock, operations)
            if stock < 0:
                errors.append(
                    f"{product.sku}: {variant.sku} would have a stock of {stock}: "
                    "stock cannot be negative."
                )
            elif stock > MAX_STOCK:
                errors.append(f"{product.sku}: {variant.sku} would have too much stock.")
            if stock != variant.stock:
                changes.append(ValueChange("stock", variant.stock, stock, variant.pk, variant.sku))
    return changes, errors

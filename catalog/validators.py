"""Validators shared by models and forms, so the admin shows the same errors the DB enforces."""

from django.core.validators import RegexValidator

#: Upper-case letters, digits and dashes; starts with a letter or digit; 3-32 characters.
SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"

sku_validator = RegexValidator(
    regex=SKU_PATTERN,
    message=(
        "A SKU is 3 to 32 characters: upper-case letters, digits and dashes, "
        "starting with a letter or digit (e.g. TSHIRT-RED-XL)."
    ),
    code="invalid_sku",
)

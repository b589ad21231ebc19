"""Validators shared by models and forms, so the admin shows the same errors the DB enforces."""

import re

from django.core.exceptions import ValidationError
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


#: Characters nobody types on purpose and nothing downstream accepts: the C0 controls other
#: than tab, line feed and carriage return (NUL among them), DEL, and the two Unicode
#: non-characters. XML 1.0 forbids them, so one of them in any product would break every
#: XLSX export; MariaDB and most tools mangle NUL. Forms and imports refuse them with the
#: same words (``control_character_problem``).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def control_character_problem(text: str) -> str | None:
    """A sentence naming the first control character in ``text`` and where it is, or None."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    before = text[max(0, found.start() - 20) : found.start()]
    where = f"after {before!r}" if before else "at the start"
    return (
        f"contains an invisible control character (U+{ord(found.group()):04X}) {where}: "
        "delete it, or type the text again instead of pasting it."
    )


def validate_no_control_characters(value: object) -> None:
    """Field validator: refuses text with a control character (see ``CONTROL_CHARACTERS``)."""
    problem = control_character_problem(value) if isinstance(value, str) else None
    if problem:
        raise ValidationError(f"This text {problem}", code="control_character")

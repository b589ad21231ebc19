"""Control characters in the admin's text fields: our message on the field, NUL included.

The model fields refuse control characters (``catalog.validators``), so a ModelForm shows
that error on the field when it validates the model. NUL never got that far: every
``forms.CharField`` carries Django's ``ProhibitNullCharactersValidator``, whose "Null
characters are not allowed." comes first, says neither which character nor where, and
hides ours (Django skips the model's check of a field whose form field already failed).
Form fields built here from a field with our validator carry ours in place of Django's,
first: NUL gets the same message as every other control character, from the validator
``full_clean`` runs, and it comes before a slug's "Enter a valid slug" (a slug's form
field checks that itself), which does not say where the invisible character is. A
product that already holds one (an older import, code) still opens; the error appears
when it is saved, on the field that holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.http import HttpRequest

from catalog.validators import validate_no_control_characters

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin

    _Base = BaseModelAdmin[Any]
else:
    _Base = object


def refuses_control_characters(db_field: models.Field[Any, Any]) -> bool:
    return validate_no_control_characters in db_field.validators


class ControlCharacterFields(_Base):
    """For model admins and inlines: their text fields report NUL with our message."""

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and refuses_control_characters(db_field):
            field.validators = [validate_no_control_characters] + [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ]
        return field

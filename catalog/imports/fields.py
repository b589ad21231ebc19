"""Each cell checked by its model field's own rules, in the admin form's words.

The admin's forms check a field in two steps: its form field (the model field's
``formfield()``: required, a number, a choice, a length) and then, through the model's
``full_clean``, the model field's validators (a SKU, a price not negative). ``FieldRule``
runs the same two steps on one cell, so an import refuses what the forms refuse, with
their messages, and no rule of a field is written a second time for the import: a new
rule on a model field reaches the import by itself.

Built once per field and kept (``field_rule``): a ``full_clean`` per row would build a
model instance and check every field (and each unique field by a query) for each row,
where the import checks uniqueness once per chunk (``plan``). Rules that are not a
field's own (one currency per product) live in ``catalog.rules``, which the forms and the
import both call.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES, ProhibitNullCharactersValidator
from django.db.models import Field, Model

from catalog.imports.errors import QUOTED_CHARS, quoted
from catalog.validators import validate_no_control_characters

#: Accepted cells a rule remembers (then it starts afresh): memory flat whatever the file.
ACCEPTED_KEPT = 4096
_MISSING = object()


class CellError(ValueError):
    """A cell the field's rules refuse: the form's message and its code (the error's kind)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FieldRule:
    """One model field's checks as its admin form runs them (see the module docstring)."""

    def __init__(self, model: type[Model], name: str) -> None:
        field = model._meta.get_field(name)
        if not isinstance(field, Field):
            raise TypeError(f"{model.__name__}.{name} is not a concrete field")
        form_field = field.formfield()
        if form_field is None:
            raise TypeError(f"{model.__name__}.{name} has no form field")
        self.field: Field[Any, Any] = field
        self.form_field: forms.Field = form_field
        # The form field's validators, then the model field's it does not already run
        # (both carry the length), in the order the admin runs them. Control characters
        # are left out: ``rows`` looks for them in the whole row first, with the same
        # words (``catalog.validators.control_character_problem``).
        validators: list[Callable[[Any], None]] = []
        for validator in [*form_field.validators, *field.validators]:
            if validator not in validators and not _control(validator):
                validators.append(validator)
        self.validators = validators
        #: Cells already accepted, with their value: a file repeats most of its sizes,
        #: colours, currencies and stock levels, and a rule gives a cell one answer.
        self._accepted: dict[str, Any] = {}

    def clean(self, text: str) -> Any:
        """The cell's value as the form cleans it; raises ``CellError`` with the form's words.

        What ``form_field.clean`` then ``field.run_validators`` do, less their repeats:
        a value is checked by each rule once. The message quotes the start of the cell
        (an empty one is only "required").
        """
        accepted = self._accepted.get(text, _MISSING)
        if accepted is not _MISSING:
            return accepted
        form_field = self.form_field
        try:
            value = form_field.to_python(text)
            form_field.validate(value)
            if value not in EMPTY_VALUES:
                for validator in self.validators:
                    validator(value)
        except ValidationError as error:
            raise CellError(error.error_list[0].code or "invalid", _words(error, text)) from None
        if len(self._accepted) >= ACCEPTED_KEPT:
            self._accepted.clear()
        self._accepted[text] = value
        return value

    def message(self, code: str, **params: Any) -> str:
        """The form field's own message for ``code`` (a choice not found: ``invalid_choice``)."""
        return str(self.form_field.error_messages[code]) % params


def _control(validator: object) -> bool:
    return validator is validate_no_control_characters or isinstance(
        validator, ProhibitNullCharactersValidator
    )


def _words(error: ValidationError, text: str) -> str:
    """The form's first message for the cell, naming it once and never whole.

    A message that names the value ("Select a valid choice. X is not one of the available
    choices.") names it cut short; any other is preceded by the cell's start.
    """
    first = error.error_list[0]
    params = dict(first.params or {})
    # ``first.message`` may be a lazy plural ("at most 2 decimal places"): only ``%``
    # with its params picks the form.
    if "%(value)" in str(first.message):
        params["value"] = text if len(text) <= QUOTED_CHARS else quoted(text)
        return str(first.message % params)
    message = str(first.message % params if params else first.message)
    return f"{quoted(text)}: {message}" if text else message


@cache
def field_rule(model: type[Model], name: str) -> FieldRule:
    """The rule of ``model.name``, built once per process."""
    return FieldRule(model, name)


@cache
def unique_message(model: type[Model], name: str) -> str:
    """The model's own words for a value of a unique field that another row holds."""
    error = model().unique_error_message(model, (name,))
    return str(error.messages[0])

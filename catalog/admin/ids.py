"""An id taken from an admin URL: a 404 when it cannot name an object, never a 500.

Django's own change view turns a bad id into "doesn't exist" by catching the pk field's
error, but the catalog's views read the id themselves first (the version check's row
lock, the History page's records, a revert's version): there "abc" reached the database
as a query and answered 500. They parse it here, before any query or lock.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404


def url_pk(model: type[models.Model], object_id: str) -> Any:
    """The primary key ``object_id`` names, as the pk field reads it; 404 if it names none.

    The same parse as Django's ``ModelAdmin.get_object`` (so every page agrees on which
    ids exist), done before anything else touches the database.
    """
    try:
        pk = model._meta.pk.to_python(object_id)
    except (ValidationError, ValueError, TypeError):
        pk = None
    if pk is None:
        raise Http404(f"No {model._meta.verbose_name} with ID {object_id[:40]!r}.")
    return pk

"""Accounts and admin look for the people who edit the catalog."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field

from editors.branding import environment_colour

EDITORS_GROUP = "Content editors"

#: What an editor may do. Deleting variants is part of editing a product (inline
#: delete); deleting products or categories is not: unpublish a product instead.
#: Editors may start bulk statistics runs (``add_bulkrun``, one at a time) and watch them,
#: and cancel their own; cancelling anyone's run (``cancel_bulkrun``) is for ops, who own
#: the bulk queue. Editors may change many products at once (``bulk_edit_product``).
EDITOR_PERMISSIONS: dict[str, list[str]] = {
    "catalog": [
        "add_product",
        "change_product",
        "view_product",
        "add_variant",
        "change_variant",
        "delete_variant",
        "view_variant",
        "add_category",
        "change_category",
        "view_category",
        "bulk_edit_product",
    ],
    "stats": ["add_bulkrun", "view_bulkrun"],
}

THEME_NAME = "Catalog Editor"


class EditorError(ValueError):
    """A user-facing reason why an editor account could not be created."""


def editor_username_clean(username: str) -> str:
    """The username as Django's own user model takes it, or ``EditorError`` in its words.

    Normalised (NFKC) and checked by the model field's own validators, as the admin's
    user forms do: letters, digits and ``@.+-_`` only (``UnicodeUsernameValidator``: no
    spaces, no HTML), at most 150 characters. No database needed: a command checks this
    before it asks for the password.
    """
    if not username.strip():
        raise EditorError("The username cannot be empty.")
    user_model = get_user_model()
    name = user_model.normalize_username(username)
    _field_clean(user_model.USERNAME_FIELD, name, label=f"Username {username!r}")
    return name


def _field_clean(field_name: str, value: str, *, label: str) -> None:
    field = get_user_model()._meta.get_field(field_name)
    assert isinstance(field, Field)
    try:
        field.clean(value, None)
    except ValidationError as exc:
        raise EditorError(f"{label} refused: {' '.join(exc.messages)}") from None


@transaction.atomic
def editor_create(*, username: str, password: str, email: str = "") -> AbstractUser:
    """Create a staff user in the editors group (staff is what lets them into the admin)."""
    user_model = get_user_model()
    username = editor_username_clean(username)
    if email:
        _field_clean("email", email, label=f"Email {email!r}")
    if user_model.objects.filter(username=username).exists():
        raise EditorError(f"A user named {username!r} already exists.")
    user = user_model(username=username, email=email, is_staff=True)
    try:
        validate_password(password, user)
    except Exception as exc:  # ValidationError carries a list of messages
        messages = getattr(exc, "messages", [str(exc)])
        raise EditorError("Password refused: " + " ".join(messages)) from None
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    return user


def demo_admin_ensure(*, username: str = "admin") -> str | None:
    """Create the demo superuser once; return its new password, or None if it exists."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password


def admin_theme_ensure(*, environment_name: str) -> None:
    """Make our theme the active django-admin-interface theme, showing the environment."""
    from admin_interface.models import Theme

    theme = Theme.objects.filter(name=THEME_NAME).first() or Theme(name=THEME_NAME)
    theme.title = "Catalog Editor"
    theme.title_visible = True
    theme.env_name = environment_name
    # The label's colour is the logo's and the favicon's (editors.branding).
    theme.env_color = environment_colour(environment_name)
    theme.env_visible_in_header = True
    # Its favicon marker needs an uploaded favicon; ours is coloured already.
    theme.env_visible_in_favicon = False
    # Readable by everyone (WCAG AA, 4.5:1, checked by axe in tests/browser): the
    # theme's default header text (#44B78B on #0C4B33) and white on its module green
    # (#44B78B) fall short; the same greens, darker, pass.
    theme.css_header_text_color = "#FFFFFF"
    theme.css_module_background_color = "#23704F"
    # The language chooser needs LocaleMiddleware; the admin is English-only.
    theme.language_chooser_active = False
    theme.active = True
    theme.save()

"""The admin's user forms refuse the same usernames as create_editor: Django's own rules."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from editors.services import EditorError, editor_username_clean
from tests.editors.test_commands import BAD_USERNAMES

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase"


def _form_error(response) -> str:
    assert response.status_code == 200, "expected the form again, with its errors"
    return " ".join(response.context["adminform"].form.errors["username"])


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_the_add_user_form_and_create_editor_refuse_a_username_with_the_same_words(
    admin_client, username
):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
    )

    with pytest.raises(EditorError) as refused:
        editor_username_clean(username)
    shown = _form_error(response)
    if "\x00" in username:  # a form's CharField refuses NUL itself, before the model field
        assert shown == "Null characters are not allowed."
    else:
        assert str(refused.value) == f"Username {username!r} refused: {shown}"
    assert not get_user_model().objects.exclude(is_superuser=True).exists()


@pytest.mark.parametrize("username", ["<b>bob</b>", "bob smith"])
def test_the_change_user_form_refuses_them_too(admin_client, editor, username):
    url = reverse("admin:auth_user_change", args=[editor.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in ("email", "first_name", "last_name")}
    data |= {
        "username": username,
        "is_staff": "on",
        "is_active": "on",
        "date_joined_0": "2026-12-01",
        "date_joined_1": "10:00:00",
    }

    assert "Enter a valid username" in _form_error(admin_client.post(url, data))
    editor.refresh_from_db()
    assert editor.username != username

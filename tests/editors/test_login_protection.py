from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


def _login(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_repeated_wrong_passwords_lock_the_account_out_from_that_address(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, editor.username, "wrong").status_code == 200  # form error

    locked = _login(client, editor.username, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused until the cool-off ends.
    assert _login(client, editor.username, PASSWORD).status_code == 429


def test_a_lockout_does_not_block_other_users(client, editor, settings):
    from tests.factories import EditorFactory

    other = EditorFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, editor.username, "wrong")
    response = _login(client, other.username, PASSWORD)
    assert response.status_code == 302


def test_a_successful_login_resets_the_failure_count(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, editor.username, "wrong")
    assert _login(client, editor.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, editor.username, "wrong")
    assert _login(client, editor.username, PASSWORD).status_code == 302


def test_the_lockout_page_says_how_long_in_words(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = _login(client, editor.username, "wrong")

    page = locked.content.decode()
    assert locked.status_code == 429
    assert "Try again in 15 minutes," in page  # AXES_COOLOFF_MINUTES' default
    assert "PT15M" not in page


def test_a_one_minute_lockout_says_one_minute(client, editor, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = _login(client, editor.username, "wrong")

    assert "Try again in 1 minute," in locked.content.decode()

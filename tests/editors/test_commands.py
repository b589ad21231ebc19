import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from editors.services import EDITORS_GROUP

pytestmark = pytest.mark.django_db


def test_create_editor_reads_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-passphrase\n"))
    call_command("create_editor", "carol", "--password-stdin", "--email", "c@example.com")

    user = get_user_model().objects.get(username="carol")
    assert user.is_staff and not user.is_superuser
    assert user.check_password("a-long-enough-passphrase")
    assert list(user.groups.values_list("name", flat=True)) == [EDITORS_GROUP]


def test_create_editor_prompts_twice_and_refuses_a_mismatch(monkeypatch):
    answers = iter(["first-passphrase-1", "second-passphrase-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="differ"):
        call_command("create_editor", "dave")
    assert not get_user_model().objects.filter(username="dave").exists()


def test_create_editor_refuses_weak_password(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_editor", "erin", "--password-stdin")
    assert not get_user_model().objects.filter(username="erin").exists()


def test_create_editor_refuses_existing_username(monkeypatch, editor):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-passphrase\n"))
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", editor.username, "--password-stdin")


def test_create_demo_admin_prints_password_only_once(capsys):
    call_command("create_demo_admin")
    first = capsys.readouterr().out
    call_command("create_demo_admin")
    second = capsys.readouterr().out
    password = first.split("password '")[1].split("'")[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert password not in second


#: Refused by Django's own user model (UnicodeUsernameValidator, max_length 150).
BAD_USERNAMES = ["<b>bob</b>", "bob smith", "bob\x00", "b" * 151, "bob;drop"]


def _no_password_prompt(monkeypatch) -> None:
    def prompt(_: str) -> str:
        raise AssertionError("asked for a password for a username it refuses")

    monkeypatch.setattr("getpass.getpass", prompt)


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_create_editor_refuses_a_username_djangos_user_model_refuses(monkeypatch, username):
    _no_password_prompt(monkeypatch)

    with pytest.raises(CommandError) as refused:
        call_command("create_editor", username)

    message = str(refused.value)
    assert message.startswith(f"Username {username!r} refused: ")
    assert "\n" not in message
    assert not get_user_model().objects.exists()


def test_create_editor_names_the_user_as_django_normalises_it(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-passphrase\n"))
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "fiona")  # U+FF46...

    call_command("create_editor", fullwidth, "--password-stdin")

    assert get_user_model().objects.get().username == "fiona"


def test_create_editor_refuses_a_malformed_email(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-passphrase\n"))

    with pytest.raises(CommandError, match=r"^Email 'gina at example' refused: Enter a valid"):
        call_command("create_editor", "gina", "--password-stdin", "--email", "gina at example")
    assert not get_user_model().objects.exists()

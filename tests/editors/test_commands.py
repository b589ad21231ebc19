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

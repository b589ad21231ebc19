import getpass
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from config.commands import ServiceCommand
from editors.services import EditorError, editor_create, editor_username_clean


class Command(ServiceCommand):
    help = "Create a content editor: a staff account in the 'Content editors' group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting.",
        )

    def handle(
        self, *args: Any, username: str, email: str, password_stdin: bool, **options: Any
    ) -> None:
        try:
            username = editor_username_clean(username)  # before asking for a password
        except EditorError as exc:
            raise CommandError(str(exc)) from None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            try:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Password (again): "):
                    raise CommandError("The two passwords differ.")
            except (EOFError, KeyboardInterrupt):
                raise CommandError("No password given.") from None
        if not password:
            raise CommandError("The password cannot be empty.")
        try:
            editor_create(username=username, password=password, email=email)
        except EditorError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Editor {username!r} created."))

from typing import Any

from config.commands import ServiceCommand
from editors.services import demo_admin_ensure


class Command(ServiceCommand):
    help = "Create the demo superuser 'admin' once and print its password (only that once)."

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_admin_ensure()
        if password is None:
            self.stdout.write("Demo admin 'admin' already exists (password printed at creation).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                "Demo admin created: user 'admin', password "
                f"'{password}' (shown once; change it or run "
                "'python manage.py changepassword admin')."
            )
        )

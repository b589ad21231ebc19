"""``python -m config.process_manager``: the Procfile's processes under circus, in the
foreground (what ``make run`` ends with)."""

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings

from config.process_manager.circus_ini import write_circus_ini


def main() -> None:
    ini = write_circus_ini(settings.VAR_DIR / "run", quiet=not settings.CATALOG_VERBOSE)
    circusd = shutil.which("circusd") or str(Path(sys.executable).with_name("circusd"))
    os.execv(circusd, [circusd, str(ini)])


if __name__ == "__main__":
    main()

"""``make run``'s process manager: every ``Procfile`` process under circus, restarted when
it exits, its output prefixed with its name as honcho printed it.

``python -m config.process_manager`` (``__main__``) reads the ``Procfile`` (``procfile``),
writes circus's configuration for this checkout (``circus_ini``) and runs circusd in the
foreground, printing each process's lines under its name (``output``); Ctrl-C stops every
process (SIGTERM, then SIGKILL after ``GRACEFUL_TIMEOUT``). ``deployment`` writes systemd
units and a compose file with restart policies from the same Procfile. Why circus:
docs/operations.md, "Processes".
"""

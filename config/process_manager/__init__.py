"""``make run``'s process manager: every ``Procfile`` process under circus, restarted when
it exits, its output prefixed with its name as honcho printed it.

``python -m config.process_manager`` writes circus's configuration for this checkout's
``Procfile`` (``circus_ini``) and runs circusd in the foreground; Ctrl-C stops every
process (SIGTERM, then SIGKILL after ``GRACEFUL_TIMEOUT``). Why circus, and the restart
policies of a deployment: docs/operations.md, "Processes".
"""

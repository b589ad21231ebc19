"""Project configuration: settings, URLs, WSGI and the Celery app.

Importing the package loads the settings first: a refusal is one line and an exit, in
every process (``startup``; ``gunicorn.conf.py`` at the top runs it in gunicorn's master).

- ``settings`` (the one place environment variables are read, through ``env``), ``urls``,
  ``wsgi``, ``formats`` (one way to write a date on every page).
- ``celery`` (the Celery app), ``queues`` (the one table of queues and worker roles),
  ``queue_types`` (classic or quorum declaration arguments), ``workers`` (a starting worker
  takes its role's rules), ``consumer`` (the consumer class of every role but bulk).
- ``outbox`` (write now, publish after commit), ``transactions`` (what one transaction
  collects, handed on at commit).
- ``upstream`` (every place the code relies on a library's internals: what, which
  versions, and the contract test in ``tests/contracts/`` that fails when it changes).
- ``embedded_broker`` (the embedded default's kombu transport on SQLite),
  ``process_manager`` (``make run`` under circus; deployment files from the Procfile).
- ``admin`` (shared admin building blocks), ``admin_site`` and ``apps`` (the admin site:
  the home page's order, autocomplete labels), ``commands`` (the base of every management
  command: one-line errors, bounded arguments), ``humanize`` (counts and durations in
  words), ``logs`` and ``access_log`` (one readable line per event, a quiet access log),
  ``jobs`` (the job centre's registry: each app's background jobs in one shape, and the
  time left from the rate so far).
"""

from config.startup import settings_or_exit

settings_or_exit()

from config.celery import app as celery_app  # noqa: E402 (after the settings' check)

__all__ = ("celery_app",)

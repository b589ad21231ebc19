"""Helpers that both the tests and the benchmarks import (neither imports the other).

- ``reference``: statistics computed from scratch, one object at a time (the obviously
  correct definition the set-based recompute is checked against), and the per-product
  ORM loop the benchmarks measure the recompute against.
- ``checks``: stored statistics compared with the reference; editor saves in a loop.
- ``admin_forms``: the product change form's POST data, as the admin sends it.
- ``workers``: real Celery worker processes, queue purges and counts.
- ``netproxy``: a TCP proxy that can cut a worker off its database.

Never imported by the apps.
"""

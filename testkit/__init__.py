"""Helpers that both the tests and the benchmarks import (neither imports the other).

- ``reference``: statistics computed from scratch, one object at a time (the obviously
  correct definition the set-based recompute is checked against), and the per-product
  ORM loop the benchmarks measure the recompute against.
- ``checks``: stored statistics compared with the reference; editor saves in a loop.
- ``admin_forms``: the product change form's POST data, as the admin sends it.
- ``workers``: real Celery worker processes, queue purges and counts.
- ``netproxy``: a TCP proxy that can cut a worker off its database.
- ``import_baseline``: django-import-export's row-by-row import of the catalog file, the
  import benchmark's baseline (the export's resource with its import half).

Never imported by the apps.
"""

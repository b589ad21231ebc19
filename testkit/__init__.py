"""Helpers that both the tests and the benchmarks import (neither imports the other).

- ``reference``: statistics computed from scratch, one object at a time (the obviously
  correct definition the set-based recompute is checked against), and the per-product
  ORM loop the benchmarks measure the recompute against.
- ``checks``: stored statistics compared with the reference (and whether they are
  current); editor saves in a loop.
- ``catalog_reset``: an empty catalog (its category tree kept) for a benchmark run.
- ``admin_forms``: the product change form's POST data, as the admin sends it.
- ``workers``: real Celery worker processes, queue purges and counts.
- ``netproxy``: a TCP proxy that can cut a worker off its database.
- ``on_commit``: what a test's transaction collected for after a commit that never comes.
- ``shards``: publishing as a sharded deployment; ``cluster``: the three-node test cluster.
- ``stack`` and ``managed_stack``: the Procfile's processes as a deployment starts them,
  or under ``make run``'s process manager; ``embedded``: the embedded default in one var
  directory; ``save_load``: a steady save load (``python -m testkit.save_load``).
- ``backlog`` and ``broker_steps``: the embedded broker's backlog and one transport step
  in a process of its own (its benchmark and kill tests).
- ``hostile_files``: import files built to hurt.
- ``broker_cut``: one worker's RabbitMQ connections closed, as a network cut would.
- ``batch_cases``: test-only ``LeanBatches`` tasks a test worker loads (``--include``) for
  celery-batches' own cases (tests/stats/batch/test_upstream_cases.py).
- ``properties``: the Hypothesis profiles of the property tests (``make test``'s small,
  reproducible one and a thorough one for hunting).
- ``import_baseline``: django-import-export's row-by-row import of the catalog file, the
  import benchmark's baseline (the export's resource with its import half).
- ``outside_exporter``: celery-exporter (installed by ``scripts/outside-tools.sh``) run
  beside a stack, scraped; a queue load of held save requests and rate-limited chunks.

Never imported by the apps.
"""

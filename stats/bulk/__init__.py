"""Bulk recomputation: runs split into chunks on the rate-limited queue (30/h by default).

- ``models``: runs and their chunks, the source of truth.
- ``services``: runs and chunks (start, process a chunk, cancel).
- ``selectors``: a run's progress and time left, the active run.
- ``window``: how many products a chunk holds, so a whole run ends within its window.
- ``tasks``: publishing a run's chunks and the rate-limited chunk task.
- ``ratelimit``: the token bucket that enforces the rate without bursts (the bulk worker
  role's consumer class; its other rules, one process and prefetch 1, are in the role's
  row of ``config.queues``).
"""

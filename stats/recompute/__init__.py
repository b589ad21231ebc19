"""Recomputing statistics: stale marks, products, categories and the stale sweep.

Celery-free: the batch and bulk workers (``stats.batch``, ``stats.bulk``) call these.

- ``models``: the statistics and their stale marks; ``marks``: marking and claiming them;
  ``selectors``: what the sweep picks up and monitoring shows.
- ``products``: the set-based product recompute; ``categories``: the subtree roll-up;
  ``own_figures``: each category's own figures, kept by difference and rebuilt to repair;
  ``sql``: raw SQL for the hot statements; ``sweep``: the backstop for marks a batch missed.
- ``currency``: the one-off step of migration 0005 (one currency per product).
"""

"""Bulk edit: many products changed at once, previewed, applied in the background, undone.

- ``models``: the job (``BulkEdit``, its number is its id) and each value it wrote
  (``BulkEditChange``), imported by ``catalog.models``.
- ``operations``: what an edit does to one product (prices, stock, status, category) and
  the rules it must not break; pure.
- ``preview``: which products a selection takes (a category with its subcategories,
  SKUs) and what the edit would change, with the rule errors; reads only.
- ``jobs``: the job recorded from its preview and handed to the import worker after
  commit, then run a chunk at a time; ``undo``: the same for its undo (asked for, then
  run by the import worker); ``apply``: the writes of one chunk (row locks, version
  check, history, statistics), for the edit and its undo; ``sweep``: no job or undo
  waits forever for a message or a worker that is gone (run by the import sweep).
"""

"""The catalog: categories, products and their variants, and how editors change them.

Pure logic apart from ``admin``; it imports neither stats nor editors. Other apps listen
to ``signals`` and extend the admin through ``admin.hooks``.

- ``models``; ``rules`` and ``validators`` (each field's rule, shared by forms, models and
  the import); ``tree`` (walks of the category tree: cycle-safe, depth-bounded);
  ``job_progress`` (what an import and a bulk edit share as background jobs).
- ``services`` (writes that are more than one save), ``demo`` (the demo catalog that
  ``seed_catalog`` and the benchmarks write), ``selectors`` (named reads),
  ``history`` (the History pages' bursts), ``textdiff`` (word-by-word diffs of text),
  ``restore`` (a product's version restored with its variants), ``search`` (how the
  product list reads a search term: SKU prefix or name words, each from an index).
- ``signals`` (what the catalog sends), ``receivers`` (every change counts one version).
- ``concurrency`` (merge or conflict, pure), ``edit_targets`` (each form's version under a
  row lock), ``presence`` (who else has a change form open).
- ``imports``: CSV/XLSX import and export (its own docstring names its modules);
  ``bulkedit``: many products changed at once, with preview and undo (its docstring too);
  ``listviews``: saved views of the product list and each editor's columns (its docstring);
  ``tasks``: the import worker's Celery wiring (imports and bulk edits); ``job_sources``:
  imports, bulk edits and large exports as the job centre lists them (``config.jobs``).
"""

"""Catalog import and export: a spreadsheet of products, one row per variant.

- ``layout``: the file's columns and how a cell is written and read (the format, versioned).
- ``limits``: what one file may hold (the ``CATALOG_IMPORT_*`` settings).
- ``files``: reading a CSV or XLSX upload into rows, refusing bad files up front, in
  memory bounded by the limits: ``csv_source``, ``xlsx_source`` (openpyxl on a
  ``zipguard.GuardedZip``, shared strings on disk: ``sharedstrings``).
- ``resources``: django-import-export's resource, used for the export (the benchmark's
  row-by-row baseline extends it in ``testkit.import_baseline``).
- ``rows``: each row checked, its problems logged within bounds (``errors``), each cell
  by its model field's own rules in the admin form's words (``fields``).
- ``plan``: the file against the database: new, changed, unchanged, errors, conflicts.
- ``report``: what an import found and did, bounded whatever the file; ``problems``: its
  errors as the preview lists them (per product, each problem once with its rows).
- ``services``: the import itself (all or nothing, in bulk, through the same
  version/statistics path as an editor's save), its bulk ``writes`` in one transaction.
- ``jobs``: an import from the admin, each step a ``CatalogImport`` handed to the import
  worker after commit; ``runs``: the worker's side (claim, run, record the end);
  ``heartbeat``: its signs of life, progress and cancel check (``progress``: the
  progress in the editor's words); ``sweep``: no import waits forever for a worker that
  is gone; ``uploads``: the upload cap, enforced as it arrives.
- ``exports``: CSV and XLSX exports in memory that does not grow with the catalog;
  ``export_slots``: how many run at once, counted in the database; ``export_jobs``: a
  large one prepared in the background by the import worker, its file kept a few days
  (``export_models``: its ``CatalogExport``).
"""

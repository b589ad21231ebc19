"""Catalog import and export: a spreadsheet of products, one row per variant.

- ``layout``: the file's columns and how a cell is written and read (the format, versioned).
- ``files``: reading a CSV or XLSX upload into rows, refusing bad files up front.
- ``resources``: django-import-export's resource, used for the export (and as the
  row-by-row baseline the benchmark compares the import with).
- ``plan``: the file against the database: new, changed, unchanged, errors, conflicts.
- ``services``: export, and the import itself (all or nothing, in bulk, through the
  same version/statistics path as an editor's save).
"""

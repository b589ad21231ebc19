"""The catalog's admin: products with their variants, variants, categories.

Other apps add to these pages through ``hooks``, never by replacing them.

- ``product``, ``variant``, ``category``: the three model admins; ``category_tree`` (the
  category list as a tree with counts, the parent picker by paths); ``changelist`` (the
  product list reads a page's ids, then its rows), ``filters`` (a category filter that
  means the whole subtree); ``product_list`` (the product list's search, count and
  deep pages at a million products), with ``keyset`` ("Next"/"Previous" by a row's
  key, no growing OFFSET) and ``counting`` (exact up to a threshold, estimated beyond).
- ``concurrency`` and ``presence``: the version check, merge, conflict form and presence
  poll (logic in ``catalog.concurrency`` / ``catalog.presence``), with ``version_token``
  (the signed token, bound to its object), ``edit_form`` (the POST read and rewritten) and
  ``bring_in`` ("Bring their changes into my form": the merge applied to the form on
  screen, nothing saved). Their scripts (notices, drafts kept in the browser, the
  question before leaving) are static files in ``catalog/static/catalog/``.
- ``history``: the History pages (bursts, field diffs, a guarded revert), with
  ``history_diff`` (text changes word by word, as HTML) and ``restore`` (the restore page:
  now -> after restore, for the product and its variants).
- ``imports``, ``import_jobs``, ``import_report``: import and export from the product
  list, Catalog > Imports (Confirm, Cancel) and an import's report (its error report
  as a CSV file too); ``export_jobs``: a large export's Download and Stop.
- ``bulk_edit`` (the product list's "Edit selected products" action and "Edit all N"
  link, the form and the preview, Apply), ``bulk_edit_form`` (the form, and the selection
  kept in the session between the pages) and ``bulk_edit_jobs`` (Catalog > Bulk edits: a
  job's progress and conflicts, Stop, "Undo bulk edit #N"); the work is
  ``catalog.bulkedit``.
- ``saved_views`` (the product list's "Views" control: open, save, update, rename,
  share, delete, default; the column chooser), ``saved_view_forms`` (their forms) and
  ``list_columns`` (the columns each editor chose, the price range and total stock
  columns read for a page's rows in one query); the rules are ``catalog.listviews``.
- ``error_summary``: a refused save's problems named at the top of the product, variant
  and category pages, each linked to its field or variant row (in place of Django's
  "Please correct the error").
- ``currency`` (one currency per product on both pages that set one), ``text`` (control
  characters refused with our message), ``ids`` (a URL's id: 404 if it names nothing).
"""

from catalog.admin.bulk_edit_jobs import BulkEditAdmin
from catalog.admin.category import CategoryAdmin
from catalog.admin.imports import CatalogImportAdmin
from catalog.admin.product import ProductAdmin, VariantInline
from catalog.admin.variant import VariantAdmin

__all__ = [
    "BulkEditAdmin",
    "CatalogImportAdmin",
    "CategoryAdmin",
    "ProductAdmin",
    "VariantAdmin",
    "VariantInline",
]

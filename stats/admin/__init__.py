"""The statistics admin: figure pages, stats' additions to the catalog pages, runs, ops.

- ``statistics``: read-only Product / Category statistics pages.
- ``catalog_pages``: what stats adds to the product and category pages (``catalog.admin.hooks``);
  ``product_list``: stock status and completeness on the product list (sorts, filters).
- ``fresh``: the "Recompute statistics" button, its poll and the save message.
- ``bulk``: bulk recompute runs (progress, chunks, cancel); ``ops``: Queues & workers.
"""

from stats.admin import bulk, catalog_pages, fresh, ops, statistics  # noqa: F401  (registrations)

"""The statistics admin: figure pages, stats' additions to the catalog pages, runs, ops."""

from stats.admin import bulk, catalog_pages, fresh, ops, statistics  # noqa: F401  (registrations)

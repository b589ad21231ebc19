"""Signals the catalog sends; other apps (stats) listen without catalog importing them."""

from django.dispatch import Signal

#: Sent inside the transaction of a bulk write that bypassed ``save()`` (no post_save
#: per row), with ``product_ids``: the products created or changed.
products_bulk_changed = Signal()

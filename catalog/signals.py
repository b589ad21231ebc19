"""Signals the catalog sends; other apps (stats) listen without catalog importing them.

This module and ``django.db.models.signals`` on the catalog's models are the one seam
through which a catalog change reaches other apps.
"""

from django.dispatch import Signal

#: Sent inside the transaction, once per product per transaction, after the product row
#: and its version are written: a save of the product or of one of its variants, or a
#: variant deleted. Arguments: ``product_id``.
product_changed = Signal()

#: Sent inside the transaction of a bulk write that bypassed ``save()`` (no post_save
#: per row), with ``product_ids``: the products created or changed.
products_bulk_changed = Signal()

#: Sent inside the transaction of a bulk write that counts as one save of each product
#: (an import), once per product per transaction like ``product_changed``, after the
#: products' rows and versions are written, with ``product_ids``.
products_changed = Signal()

"""Asking for fresh statistics: the one path every caller takes.

The catalog receiver (an editor's save), the admin's "Recompute statistics" button and
anything later call ``product_stats_request``: the stale mark is written now, in the
caller's transaction, and one message per product goes out once that transaction
commits, however many rows of the product it wrote. A broker outage at that moment is
logged, not raised: the save has committed and its mark lets the periodic sweep catch up.
"""

import logging
from collections.abc import Iterable

from config.humanize import quantity
from config.transactions import PerTransaction
from stats.recompute.marks import product_stats_mark_stale

logger = logging.getLogger(__name__)


def _publish(requests: dict[int, int | None]) -> None:
    from stats.batch.tasks import queue_product_stats

    for sent, (product_id, category_id) in enumerate(sorted(requests.items())):
        try:
            queue_product_stats(product_id=product_id, category_id=category_id)
        except Exception:
            # The broker is down: the next publish would wait and fail the same way.
            logger.exception(
                "Could not queue %s; their stale marks let the sweep catch up.",
                quantity(len(requests) - sent, "statistics request"),
            )
            return


#: Product id -> category of a deleted product (else None), published on commit.
recompute_requests = PerTransaction("queue statistics recompute requests", on_commit=_publish)


def product_stats_request(*, product_ids: Iterable[int], count_save: bool = True) -> None:
    """Mark the products stale now and publish one request each when the transaction commits.

    ``count_save=False`` for a request that is not an editor save (the button).
    """
    ids = sorted(set(product_ids))
    product_stats_mark_stale(product_ids=ids, count_save=count_save)
    for product_id in ids:
        recompute_requests.add(product_id)


def product_deleted_request(*, product_id: int, category_id: int | None) -> None:
    """A deleted product has no mark to write; its category must still be refreshed."""
    recompute_requests.add(product_id, category_id)

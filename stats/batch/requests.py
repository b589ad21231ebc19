"""Asking for fresh statistics: the one path every caller takes.

The catalog receiver (an editor's save, an import) calls ``product_stats_request``: the
stale mark is written now, in the caller's transaction, and one message per product goes
out through ``recompute_requests`` (``config.outbox``) once that transaction commits,
however many rows of the product it wrote. A broker outage at that moment is logged,
not raised: the save has committed and its mark lets the periodic sweep catch up.
"""

from collections.abc import Iterable

from config.outbox import Outbox
from stats.recompute.marks import SWEEP_REPAIRS, product_stats_mark_stale

#: Product id -> category of a deleted product (else None), sent after commit.
recompute_requests: Outbox[int] = Outbox(
    "statistics recompute requests",
    send="stats.batch.tasks.send_recompute_requests",
    what=("statistics request", "statistics requests"),
    repair=SWEEP_REPAIRS,
)


def product_stats_request(*, product_ids: Iterable[int]) -> None:
    """Count one editor save of each product now; request its recompute once committed."""
    ids = sorted(set(product_ids))
    product_stats_mark_stale(product_ids=ids)
    for product_id in ids:
        recompute_requests.add(product_id)


def product_deleted_request(*, product_id: int, category_id: int | None) -> None:
    """A deleted product has no mark to write; its category must still be refreshed."""
    recompute_requests.add(product_id, category_id)

"""One product's statistics on request: asked for in the web request, computed by a worker.

The "Recompute statistics" button calls ``product_stats_request_now`` inside its request:
the product is marked stale at once (not an editor save), and one ``stats.now`` message
goes out through ``now_requests`` (``config.outbox``) once the request's transaction
commits. The batch worker consumes that queue beside its batches and calls
``product_stats_recompute_now``. The mark is what makes this
safe: a lost message, a broker outage or a failed recompute leaves it for the sweep, and
the batch that may still hold a request for the same product finds the figures current
and skips it (the marks' claim protocol, ``stats.recompute.marks``).
"""

from config.outbox import Outbox
from stats.recompute.marks import SWEEP_REPAIRS, product_stats_mark_stale
from stats.recompute.products import RecomputeResult, product_stats_recompute

#: Products asked for now in this transaction, sent after commit (one message each).
now_requests: Outbox[int] = Outbox(
    "statistics recomputes on request",
    send="stats.now.tasks.send_now_requests",
    what=("recompute on request", "recomputes on request"),
    repair=SWEEP_REPAIRS,
)


def product_stats_request_now(*, product_id: int) -> None:
    """Mark the product stale now; ask the batch worker to recompute it once committed.

    Nothing is computed here: the caller is a web request. Not an editor save, so the
    mark counts none (``count_save=False``).
    """
    product_stats_mark_stale(product_ids=[product_id], count_save=False)
    now_requests.add(product_id)


def product_stats_recompute_now(*, product_id: int) -> RecomputeResult:
    """Recompute one product at once, even if its figures look current (``force``).

    Forced, because an editor who presses the button wants figures computed now, and
    the new ``computed_at`` shows them it happened. Its categories are marked stale for
    the periodic refresh, as a batch does: a subtree roll-up is not worth holding the
    worker for one product.
    """
    return product_stats_recompute(product_ids=[product_id], force=True, defer_categories=True)

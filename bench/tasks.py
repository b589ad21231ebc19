"""The one-task-per-save baseline, loaded only by the benchmark's worker (--include)."""

from config.celery import app


@app.task(name="bench.product_stats_one", acks_late=True, ignore_result=True)
def product_stats_one(product_id: int, category_id: int | None = None, **kwargs: object) -> None:
    """One save request, with the per-event work of ``product_stats_batch_process``.

    Categories are only marked for the periodic refresh, as the batch path does: walking
    each category's subtree on every event is work the batch path never does during the
    drain, so the ratio compared unlike work (issue #12). Only the ``BatchFlush`` row the
    batch path writes once per batch has no counterpart here.
    """
    from stats.recompute.marks import category_stats_mark_stale
    from stats.recompute.products import product_stats_recompute

    product_stats_recompute(product_ids=[product_id], defer_categories=True)
    category_stats_mark_stale(category_ids=[category_id] if category_id else [])

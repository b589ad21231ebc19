"""The one-task-per-save baseline, loaded only by the benchmark's worker (--include)."""

from config.celery import app


@app.task(name="bench.product_stats_one", acks_late=True, ignore_result=True)
def product_stats_one(product_id: int, **kwargs: object) -> None:
    from stats.recompute.products import product_stats_recompute

    product_stats_recompute(product_ids=[product_id])

"""Recording a flushed batch (``BatchFlush``), and forgetting old ones.

Batches tasks emit no task events and store no results, so the batch records each flush
itself, whatever happened (celery-batches acks the whole batch even when it raised).
"""

from datetime import timedelta

from django.utils import timezone

from stats.records.models import BatchFlush


def batch_flush_record(
    *,
    worker: str,
    requests: int,
    rejected: int,
    products: int,
    computed: int,
    skipped_current: int,
    missing: int,
    failed: int,
    seconds: float,
) -> None:
    """One flushed batch: what it received and what its recompute did."""
    BatchFlush.objects.create(
        flushed_at=timezone.now(),
        worker=worker[:255],
        requests=requests,
        rejected=rejected,
        products=products,
        computed=computed,
        skipped_current=skipped_current,
        missing=missing,
        failed=failed,
        duration_ms=round(seconds * 1000),
    )


def batch_flushes_prune(*, older_than: timedelta) -> int:
    """Drop the records of batches flushed more than ``older_than`` ago."""
    deleted, _ = BatchFlush.objects.filter(flushed_at__lt=timezone.now() - older_than).delete()
    return deleted

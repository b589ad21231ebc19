"""Recomputing statistics: stale marks, products, categories and the stale sweep.

Celery-free: the batch and bulk workers (``stats.batch``, ``stats.bulk``) call these.
"""

"""Fresh figures on request: one product recomputed now, beside the batches, not in them.

``services`` asks (stale mark now, one message on commit) and recomputes; ``tasks`` is the
Celery wiring on the ``stats.now`` queue; ``eta`` says when the batched path will update a
product that was just saved. The batched path itself (``stats.batch``) is unchanged.
"""

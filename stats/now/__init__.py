"""Fresh figures on request: one product recomputed now, beside the batches, not in them.

``services`` asks (stale mark now, one message on commit) and recomputes; ``selectors``
reads a product's figures and mark for the page that waits; ``tasks`` is the Celery
wiring on the ``stats.now`` queue. When the batched path will update a product that was
just saved is read from the monitoring snapshot (``stats.monitoring.eta``).
"""

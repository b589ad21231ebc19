"""The batched path: an editor's save becomes a message, buffered and de-duplicated by
celery-batches on the batch worker, recomputed 100 requests or 5 minutes at a time.

- ``message``: a save request's message, and a bulk write's message of several products
  (encode, read, validate; their versions).
- ``requests``: asking for fresh statistics (mark stale now, publish once on commit).
- ``tasks``: publishing a request and the batch, sweep and category-refresh tasks.
- ``services``: what one flushed batch does (``product_stats_batch_process``).
- ``consumer``, ``acks``, ``watchdog``, ``control``, ``worker``: how the batch worker
  buffers (and repairs the flush timer after a reconnect), acks, flushes as a last resort,
  reports its buffer, and its prefetch (the batch role's
  rules, its queues and consumer steps are its row in ``config.queues``).
- ``leases``, ``shards``, ``models``: with several shards, which worker consumes which
  shard queue (the rule and its table; the consumer step applying it).
- ``selectors``: the leases as monitoring reads them.
"""

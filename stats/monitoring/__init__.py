"""How statistics are keeping up: one snapshot, four faces (command, admin page, /metrics, /readyz).

- ``snapshot``: what a snapshot holds (queues, batch buffers, bulk run, staleness, checks).
- ``sources``: the broker's figures (RabbitMQ's management API, or a passive declare).
- ``checks``: the alerts and their thresholds.
- ``services``: a snapshot from the database plus the broker's and workers' figures; the
  chart's samples.
- ``probes``: the Celery-facing half (asks the broker and the workers); ``sampler``: the
  beat process's thread that stores a snapshot every few seconds.
- ``shards``: the batch shards as ops see them; ``presence``: workers seen without
  flapping; ``eta``: when a product saved now will be recomputed.
- ``models``: the latest snapshot every face reads, and the chart's samples.
- ``metrics``, ``views``, ``charts``: Prometheus text, the HTTP endpoints, the SVG chart.

Whatever a source cannot tell is ``None`` ("unknown"), never 0: plain AMQP sees only ready
messages and consumers; only the management API (``RABBITMQ_MANAGEMENT_URL``) sees
unacked messages, rates and which consumer is active.
"""

"""The consumer class of every worker role but the bulk one (``config.queues.ROLES``)."""

from celery.worker.consumer import Consumer


class WorkerConsumer(Consumer):
    """Celery's consumer without the "native delayed delivery" step.

    With quorum queues Celery declares 28 "native delayed delivery" queues and binds
    every queue to them, for ETA/countdown messages. Our exchanges are direct, which that
    scheme cannot route (kombu warns per queue), and no task publishes an ETA (bulk chunks
    re-publish instead): the step would only add idle replicated queues. The bulk role's
    ``stats.bulk.ratelimit.SteadyRateConsumer`` subclasses this one.
    """

    # Registry: config.upstream "Celery consumer blueprint steps".
    class Blueprint(Consumer.Blueprint):  # type: ignore[valid-type,misc]
        default_steps = [
            step
            for step in Consumer.Blueprint.default_steps
            if not step.endswith(":DelayedDelivery")
        ]

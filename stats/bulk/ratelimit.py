"""A Celery worker consumer whose rate limits never burst after an idle spell.

kombu's TokenBucket only moves its clock while it is refilling. Once full, the clock
stays at the last refill, so the first task after an idle spell takes the full token and
the next refill counts the whole idle spell: a second task starts at once. At 30/h that
is two bulk chunks a second apart after every pause. The bulk tests caught it: a worker's
first two chunks started about 1 s apart at a rate of one per 3 s.
"""

from time import monotonic
from typing import Any

from celery.worker.consumer import Consumer
from kombu.utils.limits import TokenBucket


class SteadyTokenBucket(TokenBucket):
    # Set by TokenBucket.__init__; its stubs leave out the private count and type the
    # rate and clock as their None class defaults.
    _tokens: float
    fill_rate: float
    timestamp: float

    def _get_tokens(self) -> float:
        now = monotonic()
        if self._tokens < self.capacity:
            self._tokens = min(
                self.capacity, self._tokens + self.fill_rate * (now - self.timestamp)
            )
        # Also while full: the next token is then earned from now, not from the last refill.
        self.timestamp = now
        return self._tokens


class SteadyRateConsumer(Consumer):
    def bucket_for_task(self, type: Any, *args: Any, **kwargs: Any) -> SteadyTokenBucket | None:
        limit = super().bucket_for_task(type, *args, **kwargs)
        return SteadyTokenBucket(limit.fill_rate, capacity=limit.capacity) if limit else None

"""Bulk recomputation: runs split into chunks on the rate-limited queue (30/h by default).

- ``services``: runs and chunks (start, process a chunk, cancel, progress).
- ``tasks``: publishing a run's chunks and the rate-limited chunk task.
- ``ratelimit``: the token bucket that enforces the rate without bursts.
- ``worker``: the dedicated bulk worker's rules (-Q stats.bulk -c 1, prefetch 1).
"""

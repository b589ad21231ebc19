"""What the paths record of their own work, the lowest layer of stats.

The batch, bulk and now paths and the recompute's periodic tasks write here as they
finish (``flushes``: each flushed batch; ``task_runs``: each run of the five working
tasks); ``selectors`` reads it back as plain figures. It imports nothing else of stats,
so every path may record into it and monitoring, above them all, reads it without any
path importing monitoring (docs/architecture.md, "Layers inside stats").
"""

"""Statistics per product and per category, kept up to date by Celery workers.

Layers, lowest first (docs/architecture.md, "Layers inside stats"): ``records`` (what the
paths did) and ``recompute`` (stale marks, the set-based recompute, the sweep); the paths
``batch`` (after a save), ``bulk`` (rate-limited runs) and ``now`` (the button); then
``monitoring``, which only reads them; ``admin`` and ``management`` at the edge. Each
sub-package's docstring names its modules.

- ``figures`` (how each figure is derived), ``formatting`` (plain text for the command
  and the admin), ``receivers`` (catalog changes reach the statistics), ``tasks`` (every
  Celery task, for autodiscovery), ``models`` (re-exports each sub-package's models),
  ``job_source`` (bulk runs as the job centre lists them: ``config.jobs``).
"""

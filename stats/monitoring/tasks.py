"""Celery wiring of monitoring: the periodic sample behind the ops page's chart."""

from config.celery import app
from config.queues import TASK_MONITORING_SAMPLE


@app.task(name=TASK_MONITORING_SAMPLE, ignore_result=True)
def monitoring_sample() -> None:
    from stats.monitoring.probes import take_snapshot
    from stats.monitoring.services import monitoring_samples_record

    monitoring_samples_record(take_snapshot())

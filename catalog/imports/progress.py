"""An import's progress in the editor's words: what it is doing, then how far it got.

The run writes ``stage``, ``done`` and ``total`` (``heartbeat.RunMonitor``, ``runs``):
nothing before a worker takes the step (``heartbeat_at`` empty), still nothing while it
reads the file (the products are counted only once it is read), then "checking" and, for
a confirmed import, "writing", counted in products; an ended run leaves done = total =
the file's products. So 0 of 0 means "not known yet", never "nothing to do": the words
say which step it is in instead.
"""

from catalog.imports.jobs import RUNNING
from catalog.models import CatalogImport
from config.humanize import quantity

#: The run's stages (``services.Progress``) as the page names them.
STAGES = {"checking": "Checking", "writing": "Saving"}
#: Ended (or ready) with every product of the file checked, or imported: worth counting.
COUNTED = (CatalogImport.Status.PREVIEWED, CatalogImport.Status.DONE)
WAITING = "Waiting to start"
READING = "Reading the file"


def progress_words(job: CatalogImport) -> str:
    """'Waiting to start', 'Reading the file', 'Checking: 1,200 of 10,000
    products', then the status ('Ready to import: 10,000 products', 'Refused')."""
    if job.status in RUNNING:
        if job.heartbeat_at is None:
            return WAITING
        if not job.stage or not job.total:
            return READING
        stage = STAGES.get(job.stage, job.stage.capitalize())
        return f"{stage}: {job.done:,} of {quantity(job.total, 'product')}"
    label = job.get_status_display()
    if job.status in COUNTED and job.total:
        return f"{label}: {quantity(job.total, 'product')}"
    return label

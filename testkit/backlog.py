"""A backlog of save requests in which every message counts, for the embedded broker's
day-long test (tests/ops/test_embedded_backlog.py) and its full-length make target.

    python -m testkit.backlog change                       # every product changed
    python -m testkit.backlog publish START STOP PROGRESS RATE  # a request per product
    python -m testkit.backlog check                        # mismatches with the reference

``change`` alters every product's stock and bumps its version with two plain UPDATEs (no
stale mark, no message), so a product's figures are right afterwards only if the one
request published for it was processed: a lost message is a wrong product, named by
``check``. ``publish`` writes the last id it published to PROGRESS after each publish and
resumes after it, so a publisher SIGKILLed at any moment and started again publishes every
id at least once.
"""

import json
import sys
from pathlib import Path


def change() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_variant SET stock = stock + 7")
        cursor.execute("UPDATE catalog_product SET version = version + 1")


def product_ids() -> list[int]:
    from catalog.models import Product

    return list(Product.objects.order_by("id").values_list("id", flat=True))


def publish(start: int, stop: int, progress: Path, rate: float) -> None:
    """Requests for products ``start`` to ``stop`` (by id order), ``rate`` a second at most,
    as saves arrive over a day rather than all at once."""
    import time

    from stats.batch.tasks import queue_product_stats

    done = int(progress.read_text() or -1) if progress.exists() else -1
    ids = product_ids()
    next_at = time.monotonic()
    with progress.open("a") as record:
        for index in range(max(start, done + 1), stop):
            next_at += 1 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
            queue_product_stats(product_id=ids[index])
            record.seek(0)
            record.truncate()
            record.write(str(index))
            record.flush()


def check() -> list[str]:
    """Every product whose stored figures or version differ from the reference's."""
    from stats.models import ProductStats
    from testkit.reference import product_stats_from_scratch

    stored = {s.product_id: s for s in ProductStats.objects.all()}
    wrong = []
    for product_id in product_ids():
        values, version = product_stats_from_scratch(product_id=product_id)
        row = stored.get(product_id)
        if row is None or row.computed_version != version:
            wrong.append(
                f"product {product_id}: version {getattr(row, 'computed_version', None)}"
                f" computed, {version} current"
            )
            continue
        differing = {k: (getattr(row, k), v) for k, v in values.items() if getattr(row, k) != v}
        if differing:
            wrong.append(f"product {product_id}: {differing}")
    return wrong


def main() -> None:
    import django

    django.setup()
    command = sys.argv[1]
    if command == "change":
        change()
    elif command == "publish":
        publish(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), float(sys.argv[5]))
    elif command == "check":
        print(json.dumps(check()))
    elif command == "count":
        print(len(product_ids()))


if __name__ == "__main__":
    main()

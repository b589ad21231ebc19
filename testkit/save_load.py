"""A steady save load on a running deployment: ``python -m testkit.save_load --per-second 4``.

Saves variants through the ORM in the database the environment names, so every save takes
the editors' path (stale mark at once, one batch request on commit) to whichever broker the
environment names: RabbitMQ or the embedded one. It creates its own products first (SKUs
``LOAD-<pid>-...``) and runs until it is killed, printing a line every 50 saves, so a test
can see that the load ran. A failed save (a SQLite lock, say) is printed and the load goes
on: it stands for editors, who save again.
"""

import argparse
import os
import sys
import time
from decimal import Decimal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-second", type=float, default=4.0)
    parser.add_argument("--products", type=int, default=20)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import transaction

    from catalog.models import Category, Product, Variant

    prefix = f"LOAD-{os.getpid()}"
    category = Category.objects.create(name=prefix, slug=prefix.lower())
    variants = []
    for number in range(args.products):
        product = Product.objects.create(
            sku=f"{prefix}-{number}",
            name=f"Load product {number}",
            slug=f"{prefix.lower()}-{number}",
            description="Saved over and over by the save load.",
            category=category,
        )
        variants.append(
            Variant.objects.create(
                product=product, sku=f"{prefix}-{number}-V", price=Decimal("9.99"), stock=10
            )
        )
    print(f"save load: {len(variants)} products, {args.per_second}/s", flush=True)

    period = 1.0 / args.per_second
    saves = failures = 0
    next_at = time.monotonic()
    while True:
        variant = variants[saves % len(variants)]
        variant.stock = (variant.stock + 1) % 100
        try:
            with transaction.atomic():  # one transaction per save, as the admin's
                variant.save(update_fields=["stock"])
        except Exception as exc:  # the load stands for editors: report and go on
            failures += 1
            print(f"save load: save failed: {type(exc).__name__}: {exc}", flush=True)
        saves += 1
        if saves % 50 == 0:
            print(f"save load: {saves} saves, {failures} failed", flush=True)
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))


if __name__ == "__main__":
    sys.exit(main())

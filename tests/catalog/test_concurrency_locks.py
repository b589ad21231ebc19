"""The version check under real concurrency: two saves posted at the same moment.

On MariaDB only: SQLite serialises whole transactions, so it cannot show that the row
lock (SELECT ... FOR UPDATE on the product's version) is what makes the second save wait
for the first and then see its version.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from catalog.edit_targets import ProductTarget
from catalog.models import Product, Variant
from tests.catalog.test_concurrency import _url, _variant, form, open_form


@pytest.fixture
def product(product_factory, variant_factory) -> Product:
    product = product_factory(description="Warm.")
    variant_factory(product=product, sku="V-1", price=Decimal("10.00"), stock=5)
    return product


@pytest.mark.mariadb  # row locks are what is tested; SQLite serialises whole transactions
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("editors_group_restored")  # bob is an editor
def test_two_saves_at_once_cannot_both_pass_the_version_check(bob, product):
    """Alice's save holds the product's row lock; bob's stale save, posted meanwhile,
    waits for her commit, then sees her version and merges instead of overwriting."""
    bobs = form(product, open_form(bob, product), fields={"description": "Very warm."})
    alice_has_locked, alice_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    responses = []

    def alice_saves():
        try:
            with transaction.atomic():
                assert ProductTarget().lock(object_id=str(product.pk)) is not None
                variant = Variant.objects.get(sku="V-1")
                variant.price = Decimal("12.50")
                variant.save()  # bumps the product's version, in this transaction
                alice_has_locked.set()
                assert alice_may_commit.wait(30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            alice_has_locked.set()
        finally:
            connections.close_all()

    def bob_saves():
        try:
            responses.append(bob.post(_url(product), bobs))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    alice_thread = threading.Thread(target=alice_saves)
    alice_thread.start()
    assert alice_has_locked.wait(30)
    assert not errors
    bob_thread = threading.Thread(target=bob_saves)
    bob_thread.start()
    _wait_for_a_lock_wait(bob_thread)  # bob's save is blocked on alice's row lock
    alice_may_commit.set()
    for thread in (alice_thread, bob_thread):
        thread.join(timeout=60)

    assert not errors
    assert [r.status_code for r in responses] == [302]
    product.refresh_from_db()
    assert product.description == "Very warm."
    assert _variant("V-1").price == Decimal("12.50")


def _wait_for_a_lock_wait(thread: threading.Thread) -> None:
    """Until another session on this test database is running its SELECT ... FOR UPDATE
    (blocked: alice holds the row). A condition polled, not a fixed sleep; the server is
    shared, so only this database's sessions count. (MariaDB 10.11 shows the wait in
    the process list, not in INNODB_LOCK_WAITS.)"""
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                "AND ID <> CONNECTION_ID() AND INFO LIKE '%%FOR UPDATE%%'"
            )
            if cursor.fetchone()[0]:
                return
            assert thread.is_alive(), "bob's save ended without waiting for the lock"
            time.sleep(0.05)
    raise AssertionError("bob's save never waited for alice's row lock")

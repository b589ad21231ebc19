"""Two editors closing a cycle at the same moment: MariaDB transactions, for real."""

import threading
from collections.abc import Callable

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from catalog.models import Category
from catalog.services import CategoryTreeError, category_save
from catalog.tree import category_ancestry
from testkit.admin_forms import with_version_token


def _run_both(*jobs: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Run each job in its own thread (so on its own connection); collect what they gave."""
    results: list[object] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            results.append(job())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def _no_cycle() -> bool:
    tree = dict(Category.objects.values_list("id", "parent_id"))
    return not any(category_ancestry(node, tree.get, limit=len(tree) + 1).loops for node in tree)


def _pair() -> tuple[Category, Category]:
    # bulk_create: no post_save, so no statistics request queued from the test itself.
    Category.objects.bulk_create(
        [Category(name="X", slug="race-x"), Category(name="Y", slug="race-y")]
    )
    return Category.objects.get(slug="race-x"), Category.objects.get(slug="race-y")


@pytest.mark.mariadb  # row locks are what is tested; SQLite serialises whole transactions
@pytest.mark.django_db(transaction=True)
def test_two_crossing_moves_in_the_admin_accept_exactly_one(django_user_model):
    x, y = _pair()
    admin = django_user_model.objects.create_superuser("race-admin", password="x")
    both_posting = threading.Barrier(2, timeout=20)
    # Both posts start together. The admin's version check (catalog.admin.concurrency)
    # takes the tree lock before anything else, so the second save waits there and its
    # quick check then sees the first move (the service-level race below still has both
    # pass the quick check before either locks).

    def move(child: Category, parent: Category) -> Callable[[], tuple[str, int, str]]:
        client = Client()
        client.force_login(admin)
        url = reverse("admin:catalog_category_change", args=[child.pk])
        # Each opens its form first, as an editor does: the move is then checked against
        # the tree, not shown as a conflict with a version the post cannot name.
        data = with_version_token(
            client, url, {"name": child.name, "slug": child.slug, "parent": str(parent.pk)}
        )

        def post() -> tuple[str, int, str]:
            both_posting.wait()
            response = client.post(url, data)
            return child.slug, response.status_code, response.content.decode()

        return post

    results, errors = _run_both(move(x, y), move(y, x))

    assert not errors
    statuses = sorted(status for _, status, _ in results)
    assert statuses == [200, 302]
    refused = next(content for _, status, content in results if status == 200)
    assert "cannot go inside itself" in refused
    assert _no_cycle()
    parents = dict(Category.objects.values_list("slug", "parent_id"))
    assert sorted([parents["race-x"] is None, parents["race-y"] is None]) == [False, True]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_crossing_category_saves_accept_exactly_one():
    x, y = _pair()
    both_checked = threading.Barrier(2, timeout=20)

    def move(child_id: int, parent_id: int) -> Callable[[], str]:
        def save() -> str:
            with transaction.atomic():
                child = Category.objects.get(pk=child_id)
                child.parent_id = parent_id
                child.full_clean()  # the unlocked check: passes in both threads
                both_checked.wait()
                try:
                    category_save(category=child)
                except CategoryTreeError:
                    return "refused"
            return "saved"

        return save

    results, errors = _run_both(move(x.pk, y.pk), move(y.pk, x.pk))

    assert not errors
    assert sorted(results) == ["refused", "saved"]  # type: ignore[type-var]
    assert _no_cycle()

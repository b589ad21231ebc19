import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from stats.models import BulkChunk, BulkRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:stats_bulkrun_changelist")


def _run(*, chunks: int = 10, done: int = 0, status: str = BulkRun.Status.RUNNING) -> BulkRun:
    """A run as the workers leave it: ``done`` of ``chunks`` chunks finished, 10 products each."""
    run = BulkRun.objects.create(
        trigger=BulkRun.Trigger.OPS,
        scope=BulkRun.Scope.ALL,
        status=status,
        chunk_size=10,
        rate_limit="30/h",
        chunks_total=chunks,
        chunks_done=done,
        products_total=10 * chunks,
        products_done=10 * done,
    )
    now = timezone.now()
    BulkChunk.objects.bulk_create(
        BulkChunk(
            run=run,
            number=number,
            product_ids=list(range(10 * number, 10 * number + 10)),
            status=BulkChunk.Status.DONE if number <= done else BulkChunk.Status.PENDING,
            attempts=1 if number <= done else 0,
            started_at=now if number <= done else None,
            finished_at=now if number <= done else None,
            worker="bulk@test" if number <= done else "",
            products_done=10 if number <= done else 0,
        )
        for number in range(1, chunks + 1)
    )
    return run


def _change_url(run: BulkRun) -> str:
    return reverse("admin:stats_bulkrun_change", args=[run.pk])


def _cancel_url(run: BulkRun) -> str:
    return reverse("admin:stats_bulkrun_cancel", args=[run.pk])


def _staff_user(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_changelist_shows_a_progress_bar_per_run(admin_client):
    _run(chunks=10, done=4)

    response = admin_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<progress class="progress-bar" max="100" value="40"' in html
    assert "4/10 groups" in html
    assert "10m 00s" in html  # 6 chunks left at 30/h: the next due now (no start recorded)


def test_changelist_queries_do_not_grow_with_runs(admin_client, category_factory):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CHANGELIST_URL).status_code == 200
        return len(captured)

    _run()
    queries()  # warm-up: session, theme and content-type caches
    few = queries()
    for _ in range(20):  # each with its own category and starter: a per-row query would show
        run = _run(chunks=2)
        run.scope, run.started_by = BulkRun.Scope.CATEGORY, UserFactory()
        run.save()
        run.categories.set([category_factory(), category_factory()])

    assert queries() == few


def test_change_page_shows_progress_and_the_chunks(admin_client):
    run = _run(chunks=3, done=1)

    response = admin_client.get(_change_url(run))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'max="100" value="33"' in html
    assert "2 pending, 1 done" in html
    assert html.count("<tr><td>") == 3
    assert "bulk@test" in html


def test_change_page_queries_and_rows_do_not_grow_with_chunks(admin_client):
    small, large = _run(chunks=5, done=2), _run(chunks=2000, done=700)
    admin_client.get(_change_url(small))  # warm-up: session, theme and content-type caches

    with CaptureQueriesContext(connection) as few:
        admin_client.get(_change_url(small))
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(_change_url(large))

    assert response.status_code == 200
    assert len(many) == len(few)
    html = response.content.decode()
    assert html.count("<tr><td>") == 50
    assert "50 of 2,000 groups: those with an error first" in html


def test_chunks_with_an_error_are_listed_before_the_rest(admin_client):
    run = _run(chunks=200, done=100)
    run.chunks.filter(number=150).update(
        status=BulkChunk.Status.FAILED, attempts=3, last_error="OperationalError: gone away"
    )

    html = admin_client.get(_change_url(run)).content.decode()

    assert "<tbody><tr><td>150</td><td>Failed</td><td>3</td>" in html
    assert "OperationalError: gone away" in html


def test_runs_cannot_be_added_or_edited_in_the_admin(admin_client):
    run = _run()

    assert admin_client.get(reverse("admin:stats_bulkrun_add")).status_code == 403
    assert admin_client.post(_change_url(run), {"status": "done"}).status_code == 403
    assert admin_client.post(reverse("admin:stats_bulkrun_delete", args=[run.pk])).status_code == (
        403
    )


def test_cancel_button_is_shown_to_users_who_may_cancel_an_active_run(client, admin_client):
    active, finished = _run(), _run(status=BulkRun.Status.DONE)
    client.force_login(_staff_user("view_bulkrun", "cancel_bulkrun"))

    assert _cancel_url(active) in client.get(_change_url(active)).content.decode()
    assert "Cancel run" in admin_client.get(_change_url(active)).content.decode()
    assert "Cancel run" not in admin_client.get(_change_url(finished)).content.decode()


def test_cancel_button_is_hidden_from_editors_on_others_runs(editor_client):
    run = _run()

    response = editor_client.get(_change_url(run))

    assert response.status_code == 200  # editors may watch runs
    assert "Cancel run" not in response.content.decode()


def test_posting_cancel_cancels_the_run_and_returns_to_it(admin_client):
    run = _run(chunks=10, done=4)

    response = admin_client.post(_cancel_url(run))

    assert response.status_code == 302
    assert response.url == _change_url(run)
    run.refresh_from_db()
    assert (run.status, run.chunks_cancelled) == (BulkRun.Status.CANCELLED, 6)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Bulk run {run.pk} cancelled: 6 groups of products will not be processed; "
        "a group already running finishes."
    ]


def test_cancelling_a_finished_run_is_an_error_message(admin_client):
    run = _run(status=BulkRun.Status.DONE)

    response = admin_client.post(_cancel_url(run))

    assert response.status_code == 302
    messages = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in messages] == ["error"]
    assert "nothing to cancel" in str(messages[0])


def test_cancel_accepts_post_only(admin_client):
    run = _run()

    assert admin_client.get(_cancel_url(run)).status_code == 405
    run.refresh_from_db()
    assert run.status == BulkRun.Status.RUNNING


def test_editors_cannot_cancel_others_runs(editor_client):
    run = _run()

    assert editor_client.post(_cancel_url(run)).status_code == 403
    run.refresh_from_db()
    assert run.status == BulkRun.Status.RUNNING


def _post_action(client, model: str, action: str, ids: list[int]):
    return client.post(
        reverse(f"admin:catalog_{model}_changelist"),
        {"action": action, "_selected_action": [str(i) for i in ids], "index": "0"},
    )


def test_editor_starts_a_run_for_selected_products_with_a_link_to_it(
    broker_url, editor, editor_client, product_factory, django_capture_on_commit_callbacks
):
    first, second, _ = product_factory.create_batch(3)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_action(
            editor_client, "product", "start_bulk_run_for_products", [first.pk, second.pk]
        )

    assert response.status_code == 302
    run = BulkRun.objects.get()
    assert (run.scope, run.trigger, run.started_by) == ("products", "editor", editor)
    assert run.chunks.get().product_ids == [first.pk, second.pk]
    assert run.chunks.get().published_at is not None  # published once committed
    [message] = get_messages(response.wsgi_request)
    assert f'Bulk run <a href="{_change_url(run)}">{run.pk}</a> started' in str(message)
    assert "selected products, 2 products in 1 group," in str(message)


def test_admin_starts_one_run_over_the_selected_categories(
    broker_url, admin_client, category_factory, product_factory, django_capture_on_commit_callbacks
):
    shoes, hats = category_factory(name="Shoes"), category_factory(name="Hats")
    product_factory(category=category_factory(parent=shoes))
    product_factory(category=hats)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_action(
            admin_client, "category", "start_bulk_run_for_categories", [shoes.pk, hats.pk]
        )

    run = BulkRun.objects.get()
    assert (run.scope, set(run.categories.all()), run.products_total) == (
        "category",
        {shoes, hats},
        2,
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "categories Hats and Shoes with their subcategories, 2 products" in message
    assert not BulkChunk.objects.filter(published_at__isnull=True).exists()


def test_a_run_that_cannot_start_is_an_error_message(editor_client, product_factory):
    product = product_factory()
    product_id = product.pk
    product.delete()  # gone between loading the page and clicking the action

    response = _post_action(editor_client, "product", "start_bulk_run_for_products", [product_id])

    assert not BulkRun.objects.exists()
    messages = list(get_messages(response.wsgi_request))
    assert [(m.level_tag, str(m)) for m in messages] == [("error", "Select at least one product.")]


def test_actions_are_hidden_without_the_start_permission(client, product_factory):
    product_factory()
    client.force_login(_staff_user("view_product", "change_product", "view_category"))

    for model in ("product", "category"):
        html = client.get(reverse(f"admin:catalog_{model}_changelist")).content.decode()
        assert "start_bulk_run" not in html


def test_category_autocomplete_still_works_after_re_registering(admin_client, category_factory):
    category_factory(name="Sandals")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "catalog",
            "model_name": "product",
            "field_name": "category",
            "term": "sand",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Sandals"]


def test_an_editor_cancels_their_own_run(editor, editor_client):
    run = _run(chunks=4, done=1)
    BulkRun.objects.filter(pk=run.pk).update(trigger=BulkRun.Trigger.EDITOR, started_by=editor)

    assert "Cancel run" in editor_client.get(_change_url(run)).content.decode()
    response = editor_client.post(_cancel_url(run))

    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.chunks_cancelled) == (BulkRun.Status.CANCELLED, 3)


def test_a_cancelled_run_shows_where_it_stopped_and_an_active_one_refreshes(admin_client):
    active = _run(chunks=8, done=3)
    page = admin_client.get(_change_url(active)).content.decode()
    assert '<div id="bulkrun-live" data-live-refresh="15">' in page

    admin_client.post(_cancel_url(active))
    page = admin_client.get(_change_url(active)).content.decode()
    assert "cancelled at 38% &middot; 3/8 groups" in page
    assert '<div id="bulkrun-live">' in page and "data-live-refresh" not in page


def test_an_editor_starting_a_second_run_gets_an_error_message(editor_client, product_factory):
    product_factory.create_batch(2)
    url = reverse("admin:catalog_product_changelist")
    ids = [str(pk) for pk in Product.objects.values_list("pk", flat=True)]
    data = {"action": "start_bulk_run_for_products", "_selected_action": ids}

    editor_client.post(url, data)
    response = editor_client.post(url, data, follow=True)

    assert BulkRun.objects.count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert any("You already have bulk run" in m for m in messages)


def test_a_runs_page_names_its_workers_to_operators_only(admin_client, editor_client):
    run = _run(chunks=2, done=1)
    BulkChunk.objects.filter(run=run).update(worker="bulk@host-1")
    page = reverse("admin:stats_bulkrun_change", args=[run.pk])

    ops_page = admin_client.get(page).content.decode()
    editor_page = editor_client.get(page).content.decode()

    assert "<th>Worker</th>" in ops_page and "bulk@host-1" in ops_page
    assert "<th>Worker</th>" not in editor_page and "bulk@host-1" not in editor_page
    assert "Attempts" in editor_page  # the rest of the table is there


def test_a_runs_pace_and_group_size_read_in_words(editor_client):
    run = _run()
    page = editor_client.get(reverse("admin:stats_bulkrun_change", args=[run.pk]))

    html = page.content.decode()
    assert "at most 30 groups an hour" in html
    assert "Products per group" in html and "30/h" not in html


def test_a_runs_page_names_its_categories_as_they_are_written(admin_client, category_factory):
    run = _run()
    run.scope = BulkRun.Scope.CATEGORY
    run.save()
    run.categories.set([category_factory(name="Clothing")])

    html = admin_client.get(_change_url(run)).content.decode()

    assert "Category Clothing and its subcategories" in html

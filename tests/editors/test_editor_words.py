"""Every page an editor works on speaks their words, not the code's (docs/editors.md,
"Words used on the screens"): no "object", "slug" where a name can show, "chunk",
"worker"... in what the page shows or reads aloud (text, titles, labels of controls).

The operators' Queues & workers page is not listed here: it is for operators.
"""

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.imports.services import catalog_import
from catalog.models import CatalogImport
from stats.bulk.models import BulkChunk, BulkRun
from stats.bulk.services import bulk_chunk_lost_error
from tests.catalog.imports.conftest import row, write_csv
from tests.factories import PASSWORD, EditorFactory

pytestmark = pytest.mark.django_db

#: Developer words, as regular expressions matched case-insensitively on whole words.
DEVELOPER_WORDS: dict[str, str] = {
    "object": r"\bobjects?\b",
    "instance": r"\binstances?\b",
    "model": r"\bmodels?\b",
    "slug": r"\bslugs?\b",
    "chunk": r"\bchunks?\b",
    "trigger": r"\btrigger(ed|s)?\b",
    "descendants": r"\bdescendants?\b",
    "subtree": r"\bsubtrees?\b",
    "worker": r"\bworkers?\b",
    "broker": r"\bbrokers?\b",
    "queue": r"\bqueues?\b",  # "Queued" is a run's status, in the guide's words
    "historical": r"\bhistorical\b",
    "revert": r"\brevert(ed|ing)?\b",
    "change history": r"\bchange history\b",
    "select to change": r"\bselect \w+ to (change|view)\b",
    "rate limit": r"\brate limit\b",
    "token": r"\btokens?\b",
    "a command": r"\bmanage\.py\b",
}

#: Where a word is the right one, page by page, and why.
ALLOWED: dict[str, set[str]] = {
    # The Slug field itself: the editor types the slug there (the guide calls it so).
    "product_add": {"slug"},
    "product_change": {"slug"},
    "product_restore": {"slug"},
    "product_history": {"slug"},  # "Slug: oxford-shirt -> oxford-shirt-blue", the field's change
    "category_add": {"slug"},
    "category_change": {"slug"},
}


def visible_text(page: str) -> str:
    """What a person reads or hears: the text, and the titles and labels of controls.

    Scripts, styles, comments and hidden inputs are dropped; ``title``, ``aria-label``,
    ``placeholder`` and a button's ``value`` are kept (a screen reader says them).
    """
    page = re.sub(r"(?is)<(script|style|template)\b.*?</\1\s*>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r'(?is)<input\b[^>]*type="hidden"[^>]*>', " ", page)
    spoken = re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', page)
    buttons = re.findall(r'(?is)<input\b[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(" ".join([text, *spoken, *buttons])))


def developer_words(text: str, *, allowed: set[str] = frozenset()) -> list[str]:
    """Each developer word found, in its context, but those ``allowed``."""
    found = []
    for word, pattern in DEVELOPER_WORDS.items():
        if word in allowed:
            continue
        for match in re.finditer(pattern, text, re.IGNORECASE):
            found.append(f"{word}: ...{text[max(0, match.start() - 50) : match.end() + 50]}...")
    return found


@pytest.fixture
def catalog(product_factory, variant_factory, category_factory, editor, tmp_path) -> dict[str, Any]:
    """A small catalog with history: a product changed once, a variant, a subcategory; the
    editor's imports: one waiting to start, one refused (a bad row, an unknown category)."""
    clothing = category_factory(name="Clothing", slug="clothing")
    shirts = category_factory(name="Shirts", slug="clothing-shirts", parent=clothing)
    hats = category_factory(name="Hats", slug="clothing-hats", parent=clothing)
    # "?q=oxford" finds it by its SKU's start: these tests run uncommitted, and MariaDB's
    # full-text index takes the name's words in at commit (catalog.search).
    product = product_factory(
        category=shirts, sku="OXFORD-1", name="Oxford shirt", slug="oxford-shirt"
    )
    variant = variant_factory(product=product, sku="OXF-M")
    product.name = "Oxford shirt blue"
    product.slug = "oxford-shirt-blue"
    product.category = hats
    product.save()
    return {
        "product": product,
        "variant": variant,
        "category": shirts,
        "failed_run": _failed_run(),
        "waiting_import": CatalogImport.objects.create(
            file_name="waiting.csv",
            created_by=editor,
            status=CatalogImport.Status.IMPORTING,
            queued_at=timezone.now(),
        ),
        "refused_import": _refused_import(editor, tmp_path / "refused.csv"),
    }


def _refused_import(editor: Any, path: Path) -> CatalogImport:
    rows = [
        row(product_sku="OXF", slug="oxf", variant_sku="OXF-S", price="-4"),
        row(product_sku="TEE", slug="tee", variant_sku="TEE-S", category="no/such-category"),
    ]
    report = catalog_import(path=write_csv(path, rows), dry_run=True)
    return CatalogImport.objects.create(
        file_name=path.name,
        created_by=editor,
        status=CatalogImport.Status.REFUSED,
        report=report.as_dict(),
    )


def _failed_run() -> BulkRun:
    """A finished run with a group that failed, as the bulk worker leaves it."""
    run = BulkRun.objects.create(
        trigger=BulkRun.Trigger.SCHEDULE,
        scope=BulkRun.Scope.ALL,
        status=BulkRun.Status.FAILED,
        chunk_size=1000,
        rate_limit="30/h",
        chunks_total=1,
        chunks_failed=1,
        products_total=2,
        products_failed=2,
    )
    BulkChunk.objects.create(
        run=run,
        number=1,
        product_ids=[1, 2],
        status=BulkChunk.Status.FAILED,
        attempts=3,
        last_error=bulk_chunk_lost_error(attempts=3),
    )
    return run


def _bulk_run(client: Client, catalog: dict[str, Any]) -> BulkRun:
    client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "start_bulk_run_for_products", ACTION_CHECKBOX_NAME: [catalog["product"].pk]},
    )
    return BulkRun.objects.get(trigger=BulkRun.Trigger.EDITOR)


def _url(name: str, *args: object, query: str = "") -> Callable[..., str]:
    return lambda client, catalog: (
        reverse(f"admin:{name}", args=[a(catalog) for a in args]) + (f"?{query}" if query else "")
    )


def _product(catalog: dict[str, Any]) -> int:
    return catalog["product"].pk


def _variant(catalog: dict[str, Any]) -> int:
    return catalog["variant"].pk


def _category(catalog: dict[str, Any]) -> int:
    return catalog["category"].pk


def _first_product_version(catalog: dict[str, Any]) -> int:
    return catalog["product"].history.earliest().pk


def _first_variant_version(catalog: dict[str, Any]) -> int:
    return catalog["variant"].history.earliest().pk


def _run_page(client: Client, catalog: dict[str, Any]) -> str:
    return reverse("admin:stats_bulkrun_change", args=[_bulk_run(client, catalog).pk])


def _bulk_edit_form(client: Client, catalog: dict[str, Any]) -> str:
    return client.get(reverse("admin:catalog_product_bulk_all") + "?q=oxford")["Location"]


def _bulk_edit_preview(
    client: Client, catalog: dict[str, Any], change: str = "price_percent", value: str = "10"
) -> str:
    form = _bulk_edit_form(client, catalog)
    sent = client.post(form, {"price_change": change, "price_value": value})
    return sent["Location"]


def _bulk_edit_job(client: Client, catalog: dict[str, Any], *, run: bool = False) -> str:
    from catalog.bulkedit.jobs import bulk_edit_run

    preview = _bulk_edit_preview(client, catalog)
    job_page = client.post(preview, {"digest": client.get(preview).context["digest"]})
    if run:
        bulk_edit_run(job_id=int(job_page["Location"].split("/")[-3]))
    return job_page["Location"]


def _saved_views(client: Client, then: str) -> Any:
    """The editor's own view and one a teammate shares; ``then`` or the own view's id."""
    from catalog.listviews.models import SavedView

    owner = int(client.session["_auth_user_id"])
    own = SavedView.objects.create(owner_id=owner, name="Drafts", query="status__exact=draft")
    teammate = EditorFactory(username="teammate")
    SavedView.objects.create(owner=teammate, name="Low stock", query="stock=low", shared=True)
    return then or own.pk


#: The pages an editor works on, by name: each renders as an editor of the editors group.
EDITOR_PAGES: dict[str, Callable[[Client, dict[str, Any]], str]] = {
    "home": _url("index"),
    "catalog": lambda client, catalog: reverse("admin:app_list", args=["catalog"]),
    "statistics": lambda client, catalog: reverse("admin:app_list", args=["stats"]),
    "product_list": _url("catalog_product_changelist"),
    "product_search": _url("catalog_product_changelist", query="q=oxford"),
    "product_list_filtered": lambda client, catalog: (
        reverse("admin:catalog_product_changelist")
        + f"?status__exact=draft&category__id__exact={_category(catalog)}"
    ),
    "product_add": _url("catalog_product_add"),
    "product_change": _url("catalog_product_change", _product),
    "product_history": _url("catalog_product_history", _product),
    "product_restore": _url("catalog_product_simple_history", _product, _first_product_version),
    "variant_list": _url("catalog_variant_changelist"),
    "variant_search": _url("catalog_variant_changelist", query="q=OXF"),
    "variant_add": _url("catalog_variant_add"),
    "variant_change": _url("catalog_variant_change", _variant),
    "variant_history": _url("catalog_variant_history", _variant),
    "variant_restore": _url("catalog_variant_simple_history", _variant, _first_variant_version),
    "variant_delete": _url("catalog_variant_delete", _variant),
    "category_list": _url("catalog_category_changelist"),
    "category_search": _url("catalog_category_changelist", query="q=shirt"),
    "category_picker": _url("catalog_category_changelist", query="_popup=1&_to_field=id"),
    "category_add": _url("catalog_category_add"),
    "category_change": _url("catalog_category_change", _category),
    "category_history": _url("catalog_category_history", _category),
    "bulk_run_list": _url("stats_bulkrun_changelist"),
    "bulk_run": _run_page,
    "failed_bulk_run": lambda client, catalog: reverse(
        "admin:stats_bulkrun_change", args=[catalog["failed_run"].pk]
    ),
    "import_list": _url("catalog_catalogimport_changelist"),
    "import_upload": _url("catalog_product_import"),
    "import_waiting": _url("catalog_catalogimport_change", lambda c: c["waiting_import"].pk),
    "import_refused": _url("catalog_catalogimport_change", lambda c: c["refused_import"].pk),
    "bulk_edit_form": _bulk_edit_form,
    "bulk_edit_preview": _bulk_edit_preview,
    "bulk_edit_preview_refused": lambda client, catalog: _bulk_edit_preview(
        client, catalog, "price_amount", "-5000"
    ),
    "bulk_edit_list": _url("catalog_bulkedit_changelist"),
    "bulk_edit_queued": _bulk_edit_job,
    "bulk_edit_done": lambda client, catalog: _bulk_edit_job(client, catalog, run=True),
    "bulk_edit_undo": lambda client, catalog: _bulk_edit_job(client, catalog, run=True).replace(
        "/change/", "/undo/"
    ),
    "saved_views": lambda client, catalog: _saved_views(
        client, reverse("admin:catalog_product_views")
    ),
    "saved_view_save": _url("catalog_product_view_save", query="status__exact=draft&o=-2"),
    "saved_view_change": lambda client, catalog: reverse(
        "admin:catalog_product_view", args=[_saved_views(client, "")]
    ),
    "product_list_saved_view_changed": lambda client, catalog: (
        reverse("admin:catalog_product_changelist")
        + f"?status__exact=published&view={_saved_views(client, '')}"
    ),
    "list_columns": _url("catalog_product_columns", query="q=oxford"),
    "jobs": _url("editors_job_changelist"),
    "jobs_with_a_bulk_edit": lambda client, catalog: (
        _bulk_edit_job(client, catalog, run=True) and reverse("admin:editors_job_changelist")
    ),
    "jobs_with_a_bulk_run": lambda client, catalog: (
        _run_page(client, catalog) and reverse("admin:editors_job_changelist")
    ),
    "password_change": _url("password_change"),
    "not_allowed": _url("auth_user_changelist"),
}


@pytest.mark.parametrize("page", EDITOR_PAGES)
def test_an_editor_page_says_no_developer_word(editor_client, catalog, page):
    url = EDITOR_PAGES[page](editor_client, catalog)
    response = editor_client.get(url)

    assert response.status_code in (200, 403), url
    found = developer_words(
        visible_text(response.content.decode()), allowed=ALLOWED.get(page, set())
    )
    assert not found, "\n".join(found)


def test_a_list_of_several_pages_offers_to_select_every_page_in_words(
    editor_client, catalog, product_factory, monkeypatch
):
    from django.contrib import admin

    from catalog.models import Product

    product_factory()
    monkeypatch.setattr(admin.site._registry[Product], "list_per_page", 1)

    page = editor_client.get(reverse("admin:catalog_product_changelist")).content.decode()

    assert "Select all 2 products" in page
    found = developer_words(visible_text(page))
    assert not found, "\n".join(found)


def test_the_history_page_lists_a_runs_page_only_where_it_has_one(editor_client, catalog):
    # A bulk run has no edit history: its page offers no History link to an empty page.
    page = editor_client.get(_run_page(editor_client, catalog)).content.decode()
    assert "/history/" not in page


def test_the_messages_after_a_bulk_run_and_a_deletion_say_no_developer_word(editor_client, catalog):
    started = editor_client.post(
        reverse("admin:catalog_category_changelist"),
        {"action": "start_bulk_run_for_categories", ACTION_CHECKBOX_NAME: [_category(catalog)]},
        follow=True,
    )
    deleted = editor_client.post(
        reverse("admin:catalog_variant_delete", args=[_variant(catalog)]), {"post": "yes"}
    )
    shown = editor_client.get(deleted.url)

    for response in (started, shown):
        text = " ".join(str(m) for m in response.context["messages"])
        assert text and developer_words(text) == []


def test_everyones_jobs_say_no_developer_word(catalog):
    lead = EditorFactory(username="lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_jobs"))
    client = Client()
    client.force_login(lead)

    page = client.get(reverse("admin:editors_job_changelist"))

    assert "The nightly schedule" in page.text  # the failed run, nobody's
    assert developer_words(visible_text(page.content.decode())) == []


def test_editor_activity_says_no_developer_word(catalog):
    lead = EditorFactory(username="lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_activity"))
    client = Client()
    client.force_login(lead)

    page = client.get(reverse("admin:editors_editoractivity_changelist"))

    assert developer_words(visible_text(page.content.decode())) == []


def test_the_login_and_locked_out_pages_say_no_developer_word(client, editor, settings):
    login = client.get(reverse("admin:login"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(
            reverse("admin:login"), {"username": editor.username, "password": PASSWORD + "x"}
        )

    assert locked.status_code == 429
    for response in (login, locked):
        assert developer_words(visible_text(response.content.decode())) == []


def test_the_word_check_sees_labels_and_titles_not_markup():
    page = (
        '<div class="object-tools"><script>var object = 1;</script>'
        '<input type="hidden" name="slug" aria-label="Slug, row 1">'
        '<input type="checkbox" aria-label="Select this object for an action - Hats">'
        '<a title="Models in the Catalog application">Catalog</a></div>'
    )

    found = developer_words(visible_text(page))

    assert [f.split(":")[0] for f in found] == ["object", "model"]

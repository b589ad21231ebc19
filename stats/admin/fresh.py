"""Fresh figures on the product page: the "Recompute statistics" button, its poll, and
the line after a save that says when the batched path will update the figures.

The button asks the batch worker to recompute the product now (``stats.now``): nothing
is computed in the request. The page's script posts it with fetch (an ``Accept:
application/json`` POST answers JSON, not a redirect), so nothing typed in the form is
lost; without JS it is an ordinary POST and redirect. The page then polls
``product_figures_view`` (a small JSON endpoint; ``stats/static/stats/fresh_figures.js``)
while a recompute is pending and puts the new figures in place when they arrive.
"""

import math
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import format_html

from catalog.admin.hooks import AdminExtension, product_admin_extensions
from catalog.models import Product
from config.admin import ObjectAction
from config.humanize import human_duration
from stats.admin.catalog_pages import (
    stats_completeness,
    stats_freshness_text,
    stats_price_range,
    stats_save_count,
    stats_stock_status,
    stats_total_stock,
)
from stats.monitoring.eta import product_stats_batch_eta
from stats.now.selectors import product_stats_current, product_stats_pending
from stats.now.services import product_stats_request_now

#: The read-only fields of the "Statistics" block the poll refreshes, by field name (the
#: page's ``.field-<name>`` rows); the freshness line is refreshed too.
FIGURES = (
    stats_stock_status,
    stats_price_range,
    stats_total_stock,
    stats_completeness,
    stats_save_count,
)
FRESHNESS_FIELD = "stats_freshness"
RECOMPUTE_SLUG = "recompute-stats"


def _may_change(model_admin: Any, request: HttpRequest, obj: Any) -> bool:
    return bool(model_admin.has_change_permission(request, obj))


def recompute_now_view(model_admin: Any, request: HttpRequest, product: Product) -> HttpResponse:
    """Ask the batch worker to recompute this product now; the page shows the result.

    POST only and change permission, checked by ``ObjectActionsMixin``. The stale mark is
    written in this request's transaction (not an editor save); the message goes out on
    commit, and a broker outage is logged, the mark leaving the product to the sweep.
    """
    with transaction.atomic():
        product_stats_request_now(product_id=product.pk)
    text = (
        f"Recomputing the statistics of {product.sku} now: the figures below update by "
        "themselves within seconds."
    )
    if _wants_json(request):
        # The page's script (fresh_figures.js) stays on the page: the editor's input in
        # the form is kept, and the poll puts the figures in place.
        fresh = product_stats_current(product_id=product.pk)
        return JsonResponse(
            {"message": text, "freshness": stats_freshness_text(fresh) if fresh else ""}
        )
    model_admin.message_user(request, text, messages.SUCCESS)
    return model_admin.change_page_redirect(product.pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def batch_eta_message(model_admin: Any, request: HttpRequest, product: Product) -> None:
    """After a save: when its figures will update, and the button for figures now."""
    # Rounded up: it is a promise.
    wait = human_duration(math.ceil(product_stats_batch_eta().seconds))
    if not _may_change(model_admin, request, product):
        model_admin.message_user(request, f"Statistics update within {wait}.", messages.INFO)
        return
    # The button itself (a small POST form, as on the product page), so an editor sent
    # back to the list can still ask for figures now.
    model_admin.message_user(
        request,
        format_html(
            'Statistics update within {}. <form method="post" action="{}" '
            'class="stats-recompute-now">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="button" title="{}">Recompute now</button></form>',
            wait,
            model_admin.object_action_url(RECOMPUTE_SLUG, product.pk),
            get_token(request),
            "Recompute this product's statistics now (within seconds)",
        ),
        messages.INFO,
    )


def _error(status: int, error: str, reason: str) -> JsonResponse:
    return JsonResponse({"error": error, "reason": reason}, status=status)


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18 and int(text) >= 1


def product_figures_view(request: HttpRequest, product_id: str) -> JsonResponse:
    """GET: a product's figures as the page shows them, and whether a recompute is pending.

    Staff with the permission to change products only (the button's own rule); every
    refusal is JSON with a reason, as the page's script reads it.
    """
    if request.method not in ("GET", "HEAD"):
        response = _error(405, "method_not_allowed", "GET only: this endpoint changes nothing")
        response["Allow"] = "GET, HEAD"
        return response
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return _error(403, "forbidden", "log in to the admin as staff")
    if not user.has_perm("catalog.change_product"):
        return _error(403, "forbidden", "you may not change products")
    # ASCII digits only (Arabic-Indic, fullwidth and superscript digits are digits to
    # str.isdigit, and a superscript two is no number to int()), within a database
    # integer (18 digits), or it is no id at all.
    if not _is_id(product_id):
        return _error(400, "bad_request", f"not a product id: {product_id[:40]!r}")
    product = product_stats_current(product_id=int(product_id))
    if product is None:
        return _error(404, "not_found", f"no product with id {int(product_id)}")
    stats = getattr(product, "stats", None)
    return JsonResponse(
        {
            "product": product.pk,
            "pending": product_stats_pending(product),
            "computed_at": stats.computed_at.isoformat() if stats else None,
            "fields": {
                **{f.__name__: str(f(product)) for f in FIGURES},
                FRESHNESS_FIELD: stats_freshness_text(product),
            },
        }
    )


product_admin_extensions.append(
    AdminExtension(
        object_actions=[
            ObjectAction(
                slug=RECOMPUTE_SLUG,
                label="Recompute statistics",
                title="Recompute this product's statistics now (within seconds)",
                view=recompute_now_view,
                permitted=_may_change,
            )
        ],
        after_save=[batch_eta_message],
        media=forms.Media(js=["stats/fresh_figures.js"], css={"all": ["stats/fresh_figures.css"]}),
    )
)

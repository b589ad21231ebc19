from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from editors import views as editors_views
from stats.admin.fresh import product_figures_view
from stats.monitoring import views as stats_views

#: The admin's look and the missing permission named, not Django's bare "403 Forbidden".
handler403 = "editors.forbidden.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Browsers ask for /favicon.ico on pages that name no icon (the 403 page, JSON).
    path("favicon.ico", RedirectView.as_view(pattern_name="favicon", permanent=True)),
    path("favicon.svg", editors_views.favicon, name="favicon"),
    path("branding/logo.svg", editors_views.logo, name="logo"),
    path("branding/theme.css", editors_views.theme_css, name="theme-css"),
    path("healthz", stats_views.healthz, name="healthz"),
    path("readyz", stats_views.readyz, name="readyz"),
    path("metrics", stats_views.metrics, name="metrics"),
    path("ops/status.json", stats_views.status_json, name="ops-status"),
    # The product page's poll for fresh figures (staff with change permission; JSON).
    path(
        "stats/products/<str:product_id>/figures",
        product_figures_view,
        name="stats-product-figures",
    ),
    path("admin/", admin.site.urls),
]

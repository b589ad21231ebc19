from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from stats.monitoring import views as stats_views

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", stats_views.healthz, name="healthz"),
    path("readyz", stats_views.readyz, name="readyz"),
    path("metrics", stats_views.metrics, name="metrics"),
    path("ops/status.json", stats_views.status_json, name="ops-status"),
    path("admin/", admin.site.urls),
]

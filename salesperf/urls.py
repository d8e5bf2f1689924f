from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from salesperf.views import ApiDocsView, ApiSchemaView, HealthView, favicon

health_checks: list = ["health_check.checks.Database", "health_check.checks.Cache"]
if settings.REDIS_URL:
    from redis.asyncio import Redis

    health_checks.append(
        (
            "health_check.contrib.redis.Redis",
            {"client_factory": lambda: Redis.from_url(settings.REDIS_URL)},
        )
    )

urlpatterns = [
    path("", include("org.urls")),
    path("targets/", include("targets.urls")),
    path("sales/", include("sales.urls")),
    path("appraisal/results/", include("appraisal.results.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("notifications/", include("notifications.urls")),
    path("rewards/", include("rewards.urls")),
    path("closing/", include("closing.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("salesperf.api_urls")),
    path("api/schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", HealthView.as_view(checks=health_checks), name="health"),
    path("favicon.ico", favicon),  # unnamed: public, and no page of the access matrix
]

"""Project-level views: the health check and the API's schema and docs.

``/health/`` runs every check for everyone, but tells an anonymous caller only whether
the site is up (200, ``{"status": "up"}``) or down (500, ``{"status": "down"}``); which
check failed, and the hosts and databases the checks name, need a staff user or the
``HEALTH_TOKEN`` sent as ``Authorization: Bearer <token>``.

``/api/schema/`` and ``/api/docs/`` need a signed-in user unless ``API_DOCS_PUBLIC``.
"""

import asyncio
import hmac

from django.conf import settings
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from health_check.views import HealthCheckView, MediaType
from rest_framework.permissions import AllowAny, IsAuthenticated

UP, DOWN = "up", "down"


def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's):
    the site's icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def _has_health_token(request) -> bool:
    expected = settings.HEALTH_TOKEN
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def _wants_json(request) -> bool:
    requested = request.GET.get("format")
    if requested:
        return requested == "json"
    try:
        accepted = list(MediaType.parse_header(request.headers.get("accept", "*/*")))
    except ValueError:
        return False
    for media in accepted:
        if media.mime_type in ("application/json", "application/*"):
            return True
        if media.mime_type in ("text/plain", "text/html", "text/*", "*/*"):
            return False
    return False


class HealthView(HealthCheckView):
    """django-health-check's view, with the details kept for staff and the token."""

    async def may_see_details(self, request) -> bool:
        if _has_health_token(request):
            return True
        user = await request.auser()
        return bool(user.is_active and user.is_staff)

    async def get(self, request, *args, **kwargs):
        if await self.may_see_details(request):
            return await super().get(request, *args, **kwargs)
        results = await self.run_checks()
        state = DOWN if any(result.error for result in results) else UP
        status_code = 500 if state == DOWN else 200
        if _wants_json(request):
            return JsonResponse({"status": state}, status=status_code)
        return HttpResponse(
            f"{state}\n", content_type="text/plain; charset=utf-8", status=status_code
        )

    async def run_checks(self):
        with self.get_executor() as executor:
            return await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )

    async def dispatch(self, request, *args, **kwargs):
        response = await super().dispatch(request, *args, **kwargs)
        patch_vary_headers(response, ["Authorization", "Cookie"])  # it depends on who asks
        return response


class _DocsAccess:
    """Signed-in users only, unless API_DOCS_PUBLIC (read on each request)."""

    def get_permissions(self):
        permission = AllowAny if settings.API_DOCS_PUBLIC else IsAuthenticated
        return [permission()]


class ApiSchemaView(_DocsAccess, SpectacularAPIView):
    pass


class ApiDocsView(_DocsAccess, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from this URL (``?script``), not
    inline, so the page runs under the Content-Security-Policy's ``script-src 'self'``."""

"""The signed-in user's notifications, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.views import is_htmx
from notifications import selectors, services


def _page(request):
    return Paginator(selectors.notifications_for(user=request.user), 30).get_page(
        request.GET.get("page") or request.POST.get("page")
    )


@login_required
def notification_list(request):
    return render(request, "notifications/list.html", {"page": _page(request)})


@login_required
@require_POST
def mark_read(request):
    """Mark one notification (`id`) or all of the user's notifications read. Another
    user's notification is not found among the user's own, so nothing changes."""
    raw = request.POST.get("id", "").strip()
    if raw:
        ids = [int(raw)] if raw.isdigit() else []
        services.notifications_mark_read(user=request.user, ids=ids)
    else:
        services.notifications_mark_read(user=request.user)
    if is_htmx(request):
        return render(request, "notifications/_list.html", {"page": _page(request)})
    return redirect("notifications:list")

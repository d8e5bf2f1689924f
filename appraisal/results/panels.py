"""The appraisal results card on the home page (settings.HOME_PANELS), for HR and the
sales management department: how many results they may export, how many are new or
changed since their last export, and the way to the results page and its files. A
fixed number of queries."""

from __future__ import annotations

from appraisal.cycles import permissions as permissions_cycles
from appraisal.models import ResultExport
from appraisal.results import exports


def home_panel(request):
    """(template, context) for the card, or None for people who do not export results."""
    user = request.user
    if not permissions_cycles.can_export_results(user):
        return None
    last = ResultExport.objects.filter(user=user).order_by("-exported_at", "-pk").first()
    results = exports.latest_results(user).order_by()
    total = results.count()
    # A result is new since the export when it was recorded after it: a new
    # finalisation, or a new version after an appeal.
    new = results.filter(created_at__gt=last.exported_at).count() if last else total
    return (
        "appraisal/results/_home_panel.html",
        {"last": last, "total": total, "new": new},
    )

"""The sales card on the home page (settings.HOME_PANELS)."""

from __future__ import annotations


def home_panel(request):
    """(template, context) for the salesperson's home card, or None. Filled in by the
    dashboards work: due follow-ups, attainment, report status."""
    return None

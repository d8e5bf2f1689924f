"""The attainment dashboards: my dashboard (and a supervisor's drill-down to one
person), the team dashboard and the organisation dashboard. Thin: access through
`sales.attainment.permissions`, reads through `sales.attainment.selectors`.

Each page takes `?period=` (a month, quarter or year period; the current month by
default). Asked by htmx (the period selector, the sort links), a page answers with
its body only, so the charts and tables are swapped in place."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.permissions import require
from core.views import is_htmx
from org.permissions import is_salesperson, led_unit_paths
from sales.attainment import selectors as attainment
from sales.attainment.permissions import (
    can_view_dashboards,
    can_view_team_dashboards,
    dashboard_people,
    dashboard_person_for_user,
    dashboard_units,
    led_roots,
)
from sales.feedback.selectors import report_status


def _choice(request, today):
    try:
        return attainment.period_choice(today=today, period_id=request.GET.get("period"))
    except attainment.UnknownPeriod:
        raise Http404 from None


def _render(request, page: str, context: dict):
    """The whole page, or only its body for htmx (but the whole page when htmx
    restores its history)."""
    partial = is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"
    template = (
        f"sales/attainment/dashboards/_{page}_body.html"
        if partial
        else f"sales/attainment/dashboards/{page}.html"
    )
    return render(request, template, context)


def _person_page(request, person):
    today = timezone.localdate()
    choice = _choice(request, today)
    dashboard = (
        attainment.person_dashboard(viewer=request.user, person=person, choice=choice, today=today)
        if choice is not None
        else None
    )
    is_self = person.pk == request.user.pk
    return _render(
        request,
        "person",
        {
            "person": person,
            "is_self": is_self,
            "choice": choice,
            "d": dashboard,
            "chart": dashboard.chart() if dashboard else None,
            "report": report_status(person=person, today=today) if is_salesperson(person) else None,
            "threshold": attainment.at_risk_pct(),
            "min_elapsed": attainment.min_elapsed_pct(),
            "today": today,
        },
    )


@login_required
@require_GET
def dashboard_mine(request):
    require(can_view_dashboards(request.user))
    return _person_page(request, request.user)


@login_required
@require_GET
def dashboard_person(request, pk):
    require(can_view_dashboards(request.user))
    person = dashboard_person_for_user(request.user, pk)
    return _person_page(request, person)


def _default_unit(user, units):
    """A supervisor's first led unit; for the department the first team."""
    paths = led_unit_paths(user)
    led = [u for u in units if u.path in paths]
    if led:
        return led[0]
    teams = [u for u in units if u.kind == u.Kind.TEAM]
    return (teams or units or [None])[0]


@login_required
@require_GET
def dashboard_team(request):
    user = request.user
    require(can_view_team_dashboards(user))
    units = attainment.tree_order(list(dashboard_units(user)))
    chosen = request.GET.get("unit")
    if chosen:
        unit = next((u for u in units if str(u.pk) == chosen), None)
        if unit is None:
            raise Http404
    else:
        unit = _default_unit(user, units)
    today = timezone.localdate()
    choice = _choice(request, today)
    dashboard = (
        attainment.team_dashboard(
            viewer=user,
            unit=unit,
            units=units,
            choice=choice,
            today=today,
            sort=request.GET.get("sort") or "name",
        )
        if choice is not None and unit is not None
        else None
    )
    top_depth = min((u.depth for u in units), default=0)
    # Members who have left since the period can be listed but not opened: the
    # drill-down follows today's organisation.
    openable = (
        set(
            dashboard_people(user)
            .filter(pk__in=[r.person.pk for r in dashboard.members])
            .values_list("pk", flat=True)
        )
        if dashboard is not None
        else set()
    )
    return _render(
        request,
        "team",
        {
            "openable": openable,
            "unit": unit,
            "units": [(u, range(u.depth - top_depth)) for u in units],
            "choice": choice,
            "d": dashboard,
            "chart": dashboard.chart() if dashboard else None,
            "threshold": attainment.at_risk_pct(),
            "min_elapsed": attainment.min_elapsed_pct(),
            "today": today,
        },
    )


@login_required
@require_GET
def dashboard_org(request):
    user = request.user
    require(can_view_team_dashboards(user))
    metrics = attainment.active_metrics()
    code = request.GET.get("metric")
    metric = next((m for m in metrics if m.code == code), None) if code else None
    if code and metric is None:
        raise Http404
    metric = metric or (metrics[0] if metrics else None)
    today = timezone.localdate()
    choice = _choice(request, today)
    roots = led_roots(user)
    dashboard = (
        attainment.org_dashboard(
            viewer=user, roots=roots, choice=choice, metric=metric, metrics=metrics, today=today
        )
        if choice is not None and metric is not None
        else None
    )
    ranked = (
        [r.owner_id for r in (*dashboard.top_people, *dashboard.bottom_people)] if dashboard else []
    )
    openable = set(dashboard_people(user).filter(pk__in=ranked).values_list("pk", flat=True))
    return _render(
        request,
        "org",
        {
            "openable": openable,
            "choice": choice,
            "metrics": metrics,
            "metric": metric,
            "d": dashboard,
            "chart": dashboard.chart() if dashboard else None,
            "threshold": attainment.at_risk_pct(),
            "min_elapsed": attainment.min_elapsed_pct(),
            "today": today,
        },
    )

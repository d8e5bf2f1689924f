"""Pages of the catalogue: metrics, seasonality profiles and how targets are set (the
rules page with the tolerance band). Thin: reads and writes through the catalogue's
selectors and services; the department manages them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.permissions import require
from core.views import form_page, saved, submit
from org.models import Period
from targets import domain, permissions
from targets.catalogue import selectors as catalogue_selectors
from targets.catalogue import services as catalogue_services
from targets.catalogue.forms import MetricForm, SeasonalityForm, ToleranceForm
from targets.forms import fiscal_month_names
from targets.models import Metric, SeasonalityProfile


@login_required
def metric_list(request):
    metrics = Metric.objects.order_by("position", "code")
    manages = permissions.can_manage_targets(request.user)
    if not manages:
        metrics = metrics.filter(is_active=True)
    return render(
        request, "targets/catalogue/metric_list.html", {"metrics": metrics, "manages": manages}
    )


@login_required
@require_http_methods(["GET", "POST"])
def metric_edit(request, pk=None):
    metric = get_object_or_404(Metric, pk=pk) if pk is not None else None
    require(permissions.can_manage_targets(request.user))
    return form_page(
        request,
        MetricForm.for_metric(metric, request.POST or None),
        lambda data: catalogue_services.metric_save(
            metric=metric, acting_user=request.user, **data
        ),
        page="targets/catalogue/metric_form.html",
        context={"metric": metric},
        then=lambda saved_metric: saved(
            request,
            _("The metric %(name)s is saved.") % {"name": saved_metric.display_name},
            "targets:metrics",
        ),
    )


@login_required
def seasonality_list(request):
    profiles = list(SeasonalityProfile.objects.order_by("name"))
    months = fiscal_month_names()
    for profile in profiles:
        profile.month_weights = list(zip(months, profile.weight_values, strict=False))
    return render(
        request,
        "targets/catalogue/seasonality_list.html",
        {"profiles": profiles, "manages": permissions.can_manage_targets(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def seasonality_edit(request, pk=None):
    profile = get_object_or_404(SeasonalityProfile, pk=pk) if pk is not None else None
    require(permissions.can_manage_targets(request.user))
    form = SeasonalityForm.for_profile(profile, request.POST or None)
    return form_page(
        request,
        form,
        lambda data: catalogue_services.seasonality_save(
            profile=profile,
            name=data["name"],
            method=data["method"],
            weights=form.weights(),
            acting_user=request.user,
        ),
        page="targets/catalogue/seasonality_form.html",
        context={"profile": profile},
        then=lambda _profile: saved(
            request,
            _("The seasonality profile %(name)s is saved.") % {"name": form.cleaned_data["name"]},
            "targets:seasonality",
        ),
    )


def _proration_example(year: int) -> dict:
    """A worked example computed with the same domain function the cascade uses: a team
    quarter target of 300,000 (100,000 a month) shared equally over three people, one
    of whom joins on 16 August, month by month by the days present."""
    months = [
        (datetime.date(year, 7, 1), datetime.date(year, 7, 31)),
        (datetime.date(year, 8, 1), datetime.date(year, 8, 31)),
        (datetime.date(year, 9, 1), datetime.date(year, 9, 30)),
    ]
    joined = datetime.date(year, 8, 16)
    stays = [[(datetime.date(year - 1, 1, 1), None)]] * 2 + [[(joined, None)]]
    days = [[domain.days_present(s, e, person) for s, e in months] for person in stays]
    month_value = Decimal("100000.00")
    table = domain.part_table([month_value] * 3, [Decimal(1)] * 3, days, 2)
    rows = [
        {"days": row_days, "values": values, "total": sum(values, Decimal(0))}
        for row_days, values in zip(days, table, strict=True)
    ]
    newcomer = rows[2]
    return {
        "start": months[0][0],
        "end": months[-1][1],
        "joined": joined,
        "month_value": month_value,
        "total": month_value * 3,
        "months": [s for s, _e in months],
        "august_days": (months[1][1] - months[1][0]).days + 1,
        "present": newcomer["days"][1],
        "rows": rows,
        "sum": sum((r["total"] for r in rows), Decimal(0)),
        "quarter_days": sum(newcomer["days"]),
        "quarter_length": (months[-1][1] - months[0][0]).days + 1,
    }


@login_required
def rules(request, tolerance_form: ToleranceForm | None = None):
    low, high = catalogue_services.tolerance()
    today = timezone.localdate()
    parent = Decimal("1000000.00")
    manages = permissions.can_manage_targets(request.user)
    if manages and tolerance_form is None:
        tolerance_form = ToleranceForm(initial={"min_pct": low, "max_pct": high})
    return render(
        request,
        "targets/catalogue/rules.html",
        {
            "low": low,
            "high": high,
            "tolerance_form": tolerance_form if manages else None,
            "tolerance_history": catalogue_selectors.tolerance_history(),
            "tolerance_parent": parent,
            "tolerance_low": (parent * low / 100).quantize(Decimal("0.01")),
            "tolerance_high": (parent * high / 100).quantize(Decimal("0.01")),
            "money_split": domain.split_equally(Decimal("100.00"), 3, 2),
            "count_split": domain.split_equally(Decimal("10"), 3, 0),
            "example": _proration_example(today.year),
            "month_kind": Period.Kind.MONTH,
        },
        status=400 if tolerance_form is not None and tolerance_form.errors else 200,
    )


@login_required
@require_POST
def tolerance_set(request):
    """The department sets a new tolerance band (kept with its reason); a refused one
    is shown on the rules page with the form's errors."""
    require(permissions.can_manage_targets(request.user))
    form = ToleranceForm(request.POST)
    if submit(
        form,
        lambda: catalogue_services.tolerance_set(acting_user=request.user, **form.cleaned_data),
    ):
        messages.success(
            request,
            _("The tolerance band is now %(min)s %% to %(max)s %%.")
            % dict(zip(("min", "max"), catalogue_selectors.tolerance(), strict=True)),
        )
        return redirect(reverse("targets:rules") + "#h-tolerance")
    return rules(request, tolerance_form=form)

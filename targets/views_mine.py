"""Pages of the salesperson's side of targets: my targets, one target with its history,
acknowledgement, adjustments, and the catalogue (metrics, seasonality profiles, the
rules). Thin: access through `targets.permissions`, reads through
`targets.selectors`, writes through `targets.services`."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.permissions import require
from core.views import next_url, perform, submit
from org.models import Period
from targets import domain, permissions, selectors, services
from targets.forms import (
    AdjustmentForm,
    DecisionForm,
    MetricForm,
    SeasonalityForm,
    ToleranceForm,
    fiscal_month_names,
)
from targets.models import Adjustment, Metric, SeasonalityProfile

# --- my targets ----------------------------------------------------------------------


@login_required
def my_targets(request):
    years = selectors.fiscal_years()
    today = timezone.localdate()
    chosen = request.GET.get("year")
    fiscal_year = next((y for y in years if str(y.pk) == chosen), None) if chosen else None
    if chosen and fiscal_year is None:
        raise Http404
    fiscal_year = fiscal_year or selectors.fiscal_year_on(years, today)
    page = (
        selectors.my_targets_page(user=request.user, fiscal_year=fiscal_year, today=today)
        if fiscal_year is not None
        else None
    )
    return render(
        request,
        "targets/mine.html",
        {"years": years, "fiscal_year": fiscal_year, "page": page, "today": today},
    )


@login_required
def target_detail(request, pk):
    target = permissions.target_for_user(request.user, pk)
    adjustments = selectors.target_adjustments(target=target)
    return render(
        request,
        "targets/detail.html",
        {
            "target": target,
            "history": selectors.target_history(target=target),
            "adjustments": adjustments,
            "changes": selectors.adjustment_changes(adjustments),
            "can_acknowledge": permissions.can_acknowledge(request.user, target),
            "can_request_adjustment": permissions.can_request_adjustment(request.user, target)
            and not any(a.status == Adjustment.Status.PENDING for a in adjustments),
            "leads": permissions.leads_target(request.user, target),
            "manages": permissions.can_manage_targets(request.user),
            "can_decide": permissions.can_manage_targets(request.user),
        },
    )


@login_required
@require_POST
def target_acknowledge(request, pk):
    """Acknowledge a published target; with `parts=1` also its unacknowledged quarters
    and months (one click for a whole year). Only the owner (a person, or the
    supervisor of a unit)."""
    target = permissions.target_for_user(request.user, pk)
    # An acknowledged target answers with a message (nothing to do); anyone else
    # who may not acknowledge it is refused.
    require(permissions.can_acknowledge(request.user, target) or target.acknowledged_at is not None)
    if request.POST.get("parts") and target.acknowledged_at is None:
        parts = list(selectors.unacknowledged_parts(target=target))
    else:
        parts = [target]
    if perform(
        request, lambda: services.targets_acknowledge(targets=parts, acting_user=request.user)
    ):
        values = {"metric": target.metric.display_name, "period": target.period.label}
        if len(parts) > 1:
            message = ngettext(
                "You acknowledged %(count)d target: "
                "your %(metric)s target for %(period)s and its parts.",
                "You acknowledged %(count)d targets: "
                "your %(metric)s target for %(period)s and its parts.",
                len(parts),
            ) % {"count": len(parts), **values}
        else:
            message = _("You acknowledged your %(metric)s target for %(period)s.") % values
        messages.success(request, message)
    return redirect(next_url(request, reverse("targets:detail", args=[target.pk])))


# --- adjustments ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_new(request, pk):
    target = permissions.target_for_user(request.user, pk)
    require(permissions.can_request_adjustment(request.user, target))
    first = selectors.first_adjustable_month(period=target.period)
    periods = selectors.adjustment_periods(target=target, first=first)
    offered = list(periods)
    form = AdjustmentForm(
        request.POST or None,
        periods=periods,
        first=first,
        initial={
            "new_value": target.value,
            "effective_period": offered[0].pk if offered else None,
        },
    )
    status = 200
    if request.method == "POST":
        if submit(
            form,
            lambda: services.adjustment_request(
                target=target,
                new_value=form.cleaned_data["new_value"],
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                effective_period=form.cleaned_data["effective_period"],
                acting_user=request.user,
            ),
        ):
            messages.success(
                request,
                _("Your request was sent to the sales management department."),
            )
            return redirect("targets:detail", pk=target.pk)
        status = 400
    return render(
        request,
        "targets/adjustment_form.html",
        {"target": target, "form": form, "has_periods": bool(offered), "first": first},
        status=status,
    )


@login_required
def adjustment_list(request):
    page = Paginator(selectors.adjustments_for(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "targets/adjustment_list.html",
        {
            "page": page,
            "changes": selectors.adjustment_changes(page.object_list),
            "can_decide": permissions.can_manage_targets(request.user),
        },
    )


@login_required
@require_POST
def adjustment_decide(request, pk):
    try:
        adjustment = permissions.visible_adjustments(request.user).get(pk=pk)
    except Adjustment.DoesNotExist:
        raise Http404 from None
    require(permissions.can_manage_targets(request.user))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to reject."))
    elif perform(
        request,
        lambda: services.adjustment_decide(
            adjustment=adjustment,
            approve=form.approve,
            note=form.cleaned_data["note"],
            acting_user=request.user,
        ),
    ):
        if form.approve:
            messages.success(request, _("The adjustment is approved; the target changed."))
        else:
            messages.success(request, _("The adjustment is rejected."))
    return redirect(next_url(request, "targets:adjustments"))


# --- catalogue: metrics and seasonality profiles ---------------------------------------


@login_required
def metric_list(request):
    metrics = Metric.objects.order_by("position", "code")
    manages = permissions.can_manage_targets(request.user)
    if not manages:
        metrics = metrics.filter(is_active=True)
    return render(request, "targets/metric_list.html", {"metrics": metrics, "manages": manages})


@login_required
@require_http_methods(["GET", "POST"])
def metric_edit(request, pk=None):
    metric = get_object_or_404(Metric, pk=pk) if pk is not None else None
    require(permissions.can_manage_targets(request.user))
    form = MetricForm.for_metric(metric, request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(
            form,
            lambda: services.metric_save(
                metric=metric, acting_user=request.user, **form.cleaned_data
            ),
        )
        if done:
            messages.success(
                request, _("The metric %(name)s is saved.") % {"name": done.value.display_name}
            )
            return redirect("targets:metrics")
        status = 400
    return render(
        request, "targets/metric_form.html", {"form": form, "metric": metric}, status=status
    )


@login_required
def seasonality_list(request):
    profiles = list(SeasonalityProfile.objects.order_by("name"))
    months = fiscal_month_names()
    for profile in profiles:
        profile.month_weights = list(zip(months, profile.weight_values, strict=False))
    return render(
        request,
        "targets/seasonality_list.html",
        {"profiles": profiles, "manages": permissions.can_manage_targets(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def seasonality_edit(request, pk=None):
    profile = get_object_or_404(SeasonalityProfile, pk=pk) if pk is not None else None
    require(permissions.can_manage_targets(request.user))
    form = SeasonalityForm.for_profile(profile, request.POST or None)
    status = 200
    if request.method == "POST":
        if submit(
            form,
            lambda: services.seasonality_save(
                profile=profile,
                name=form.cleaned_data["name"],
                method=form.cleaned_data["method"],
                weights=form.weights(),
                acting_user=request.user,
            ),
        ):
            messages.success(
                request,
                _("The seasonality profile %(name)s is saved.")
                % {"name": form.cleaned_data["name"]},
            )
            return redirect("targets:seasonality")
        status = 400
    return render(
        request,
        "targets/seasonality_form.html",
        {"form": form, "profile": profile},
        status=status,
    )


# --- how targets are set ---------------------------------------------------------------


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
    low, high = services.tolerance()
    today = timezone.localdate()
    parent = Decimal("1000000.00")
    manages = permissions.can_manage_targets(request.user)
    if manages and tolerance_form is None:
        tolerance_form = ToleranceForm(initial={"min_pct": low, "max_pct": high})
    return render(
        request,
        "targets/rules.html",
        {
            "low": low,
            "high": high,
            "tolerance_form": tolerance_form if manages else None,
            "tolerance_history": selectors.tolerance_history(),
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
    if submit(form, lambda: services.tolerance_set(acting_user=request.user, **form.cleaned_data)):
        messages.success(
            request,
            _("The tolerance band is now %(min)s %% to %(max)s %%.")
            % dict(zip(("min", "max"), selectors.tolerance(), strict=True)),
        )
        return redirect(reverse("targets:rules") + "#h-tolerance")
    return rules(request, tolerance_form=form)

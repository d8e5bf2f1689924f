"""Pages of personal sales plans (policy 2.1/2.2): a salesperson writes a plan for a
year or a quarter from their targets, submits it; their supervisor (or the
department) approves it or returns it with a comment; every version is kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.permissions import require
from core.views import perform, submit
from org.models import Period
from org.permissions import is_salesperson
from targets.forms import DecisionForm
from targets.models import SalesPlan
from targets.plans import permissions as plan_permissions
from targets.plans import selectors as plan_selectors
from targets.plans import services as plan_services
from targets.plans.forms import PlanForm


@login_required
def plan_list(request):
    user = request.user
    plans = plan_selectors.plans_with_versions(user=user)
    mine = list(plans.filter(person=user))
    others = Paginator(plans.exclude(person=user), 50).get_page(request.GET.get("page"))
    to_write = []
    if is_salesperson(user):
        own_periods = {p.period_id: p for p in mine}
        to_write = [
            (period, own_periods.get(period.pk))
            for period in plan_selectors.plan_periods_to_write(
                user=user, today=timezone.localdate()
            )
        ]
    return render(
        request,
        "targets/plans/plan_list.html",
        {"mine": mine, "others": others, "to_write": to_write},
    )


def _plan_period(period_pk) -> Period:
    return get_object_or_404(
        Period.objects.select_related("fiscal_year").exclude(kind=Period.Kind.MONTH),
        pk=period_pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_write(request, period_pk):
    user = request.user
    period = _plan_period(period_pk)
    require(is_salesperson(user))
    plan = (
        SalesPlan.objects.filter(person=user, period=period)
        .select_related("person", "period__fiscal_year")
        .first()
    )
    months = plan_selectors.plan_months(period=period)
    versions = plan_selectors.plan_versions(plan=plan, months=months) if plan else []
    current = versions[0] if versions else None
    editable = plan is None or plan_permissions.can_write_plan(user, plan)
    if not editable:
        # Submitted or approved: read-only; the plan page shows it.
        if request.method == "POST":
            messages.error(
                request,
                _("The plan is %(status)s and cannot be edited now.")
                % {"status": plan.get_status_display()},
            )
        return redirect("targets:plan", pk=plan.pk)
    # After a return the reviewed version stays; the form starts from it.
    form = PlanForm.for_version(current, months, request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(
            form,
            lambda: plan_services.plan_save(
                person=user,
                period=period,
                key_accounts=form.cleaned_data["key_accounts"],
                actions=form.cleaned_data["actions"],
                pipeline=form.pipeline(),
                resources=form.cleaned_data["resources"],
                acting_user=user,
            ),
        )
        if done:
            messages.success(
                request, _("Your plan is saved. Submit it to your supervisor when it is ready.")
            )
            return redirect("targets:plan", pk=done.value.pk)
        status = 400
    targets = plan_selectors.plan_targets(person=user, period=period, months=months)
    # Next to each month's pipeline input: the month's target of the first money metric.
    money = plan_selectors.money_targets(targets)
    pipeline_rows = [
        (field, money.months[index] if money else None)
        for index, field in enumerate(form.pipeline_fields)
    ]
    return render(
        request,
        "targets/plans/plan_form.html",
        {
            "period": period,
            "plan": plan,
            "form": form,
            "months": months,
            "targets": targets,
            "money_metric": money.metric if money else None,
            "pipeline_rows": pipeline_rows,
            "returned": next((v for v in versions if v.decision == "returned"), None)
            if plan and plan.status == SalesPlan.Status.DRAFT
            else None,
            "last_review": current if current and current.decision else None,
        },
        status=status,
    )


@login_required
def plan_detail(request, pk):
    plan = plan_permissions.plan_for_user(request.user, pk)
    months = plan_selectors.plan_months(period=plan.period)
    targets = plan_selectors.plan_targets(person=plan.person, period=plan.period, months=months)
    money = plan_selectors.money_targets(targets)
    versions = plan_selectors.plan_versions(plan=plan, months=months, money=money)
    current = versions[0] if versions else None
    is_owner = plan.person_id == request.user.pk
    return render(
        request,
        "targets/plans/plan_detail.html",
        {
            "plan": plan,
            "versions": versions,
            "current": current,
            "earlier": versions[1:],
            "months": months,
            "targets": targets,
            "money": money,
            "is_owner": is_owner,
            "can_write": plan_permissions.can_write_plan(request.user, plan),
            "can_submit": is_owner
            and plan.status == SalesPlan.Status.DRAFT
            and current is not None
            and current.submitted_at is None,
            "can_review": plan_permissions.can_review_plan(request.user, plan),
            "review_form": DecisionForm(),
        },
    )


@login_required
@require_POST
def plan_submit(request, pk):
    plan = plan_permissions.plan_for_user(request.user, pk)
    require(plan.person_id == request.user.pk)
    if perform(request, lambda: plan_services.plan_submit(plan=plan, acting_user=request.user)):
        messages.success(request, _("Your plan was submitted to your supervisor."))
    return redirect("targets:plan", pk=plan.pk)


@login_required
@require_POST
def plan_review(request, pk):
    plan = plan_permissions.plan_for_user(request.user, pk)
    require(plan_permissions.can_review_plan(request.user, plan))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to return the plan."))
        return redirect("targets:plan", pk=plan.pk)
    if perform(
        request,
        lambda: plan_services.plan_review(
            plan=plan,
            approve=form.approve,
            comment=form.cleaned_data["note"],
            acting_user=request.user,
        ),
    ):
        if form.approve:
            messages.success(request, _("The plan is approved."))
        else:
            messages.success(request, _("The plan was returned with your comment."))
    return redirect("targets:plan", pk=plan.pk)

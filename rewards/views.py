"""Pages of rewards, mounted at /rewards/: the incentive plans and "how my bonus is
computed", the department's review of a period's decisions (compute now, approve in
bulk), a decision with its working line by line (adjust a line with a reason), and the
salesperson's own decisions.

Thin: access through `rewards.permissions` (hidden: 404, forbidden: 403), reads through
`rewards.selectors`, writes through `rewards.services`, whose refusals are shown on the
page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.permissions import require
from core.views import attempt, form_status, on_form, post_form
from org.models import Period
from rewards import forms as plan_forms
from rewards import permissions, selectors, services
from rewards.models import (
    Budget,
    Clawback,
    Decision,
    IncentivePlan,
    LineAdjustment,
)


class AdjustForm(forms.Form):
    line = forms.ChoiceField(label=gettext_lazy("Line"))
    amount = forms.DecimalField(
        label=gettext_lazy("Change"),
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("In the plan's currency; negative to take away."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept with the decision; the person reads it."),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = lines


@login_required
@require_GET
def plan_list(request):
    plans = (
        permissions.visible_plans(request.user)
        .select_related("applies_from__fiscal_year")
        .order_by("code", "-version")
    )
    return render(
        request,
        "rewards/plans.html",
        {"plans": plans, "manages": permissions.can_manage(request.user)},
    )


@login_required
@require_GET
def plan_detail(request, pk):
    plan = permissions.plan_for_user(request.user, pk)
    plan = selectors.with_parts(IncentivePlan.objects.filter(pk=plan.pk)).get()
    return render(
        request,
        "rewards/plan.html",
        {
            "plan": plan,
            "explained": selectors.explain_plan(plan),
            "manages": permissions.can_manage(request.user),
            "later_periods": (
                list(
                    Period.objects.filter(
                        kind=plan.period_kind, start_date__gt=plan.applies_from.start_date
                    )
                    .select_related("fiscal_year")
                    .order_by("start_date")
                )
                if permissions.can_manage(request.user) and plan.is_published
                else []
            ),
        },
    )


def _plan_page(request, plan: IncentivePlan | None):
    """Create a plan (plan None) or rewrite a draft whole: its fields, components and
    penalty rules on one page; the services' refusal beside the field it names."""
    require(permissions.can_manage(request.user))
    if plan is not None and plan.is_published:
        messages.error(request, _("A published plan cannot be edited: make a new version."))
        return redirect("rewards:plan", pk=plan.pk)
    data = request.POST if request.method == "POST" else None
    form = plan_forms.PlanForm.for_plan(plan, data)
    components = plan_forms.ComponentFormSet(
        data, prefix="components", initial=plan_forms.component_initial(plan)
    )
    penalties = plan_forms.PenaltyFormSet(
        data, prefix="penalties", initial=plan_forms.penalty_initial(plan)
    )
    status = 200
    if data is not None:
        status = 400
        if form.is_valid() and components.is_valid() and penalties.is_valid():
            fields = form.plan_fields()
            if plan is not None:
                fields.pop("code")
            done = attempt(
                lambda: services.plan_save_draft(
                    acting_user=request.user,
                    plan=plan,
                    fields=fields,
                    components=plan_forms.components_of(components),
                    penalties=plan_forms.penalties_of(penalties),
                    units=form.cleaned_data["units"],
                )
            )
            if done:
                messages.success(request, _("The draft is saved."))
                return redirect("rewards:plan", pk=done.value.pk)
            on_form(form, done.error)
    return render(
        request,
        "rewards/plan_form.html",
        {"plan": plan, "form": form, "components": components, "penalties": penalties},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    return _plan_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = permissions.plan_for_user(request.user, pk)
    require(permissions.can_manage(request.user))
    return _plan_page(request, selectors.with_parts(IncentivePlan.objects.filter(pk=plan.pk)).get())


@login_required
@require_POST
def plan_publish(request, pk):
    plan = permissions.plan_for_user(request.user, pk)
    require(permissions.can_manage(request.user))
    done = attempt(lambda: services.plan_publish(plan=plan, acting_user=request.user))
    if done:
        messages.success(
            request,
            _("Version %(version)s of %(code)s is published.")
            % {"version": plan.version, "code": plan.code},
        )
    else:
        messages.error(request, done.message)
    return redirect("rewards:plan", pk=plan.pk)


@login_required
@require_POST
def plan_new_version(request, pk):
    plan = permissions.plan_for_user(request.user, pk)
    require(permissions.can_manage(request.user))
    period = Period.objects.filter(pk=_int(request.POST.get("applies_from"))).first()
    if period is None:
        messages.error(request, _("Choose the period the new version applies from."))
        return redirect("rewards:plan", pk=plan.pk)
    done = attempt(
        lambda: services.plan_new_version(plan=plan, applies_from=period, acting_user=request.user)
    )
    if done:
        messages.success(request, _("The new version is a draft: edit it, then publish it."))
        return redirect("rewards:plan-edit", pk=done.value.pk)
    messages.error(request, done.message)
    return redirect("rewards:plan", pk=plan.pk)


def _periods_with_decisions(user):
    ids = permissions.visible_decisions(user).values("period_id")
    return list(
        Period.objects.filter(pk__in=ids)
        .select_related("fiscal_year")
        .order_by("-start_date", "-end_date")
    )


def _computable_periods():
    """The periods a published plan applies to, latest first (for "compute now")."""
    kinds = {}
    for kind, start in IncentivePlan.objects.filter(
        status=IncentivePlan.Status.PUBLISHED
    ).values_list("period_kind", "applies_from__start_date"):
        kinds[kind] = min(start, kinds.get(kind, start))
    if not kinds:
        return []
    periods = Period.objects.select_related("fiscal_year").order_by("-start_date")
    return [p for p in periods if p.kind in kinds and p.start_date >= kinds[p.kind]]


@login_required
@require_http_methods(["GET", "POST"])
def decision_list(request):
    """The review of one period's decisions (department, HR, supervisors)."""
    user = request.user
    require(permissions.sees_any_decisions(user))
    manages = permissions.can_manage(user)
    periods = _periods_with_decisions(user)
    computable = _computable_periods() if manages else []
    choices = {p.pk: p for p in [*periods, *computable]}
    period = choices.get(_int(request.POST.get("period") or request.GET.get("period")))
    if period is None and periods:
        period = periods[0]
    if request.method == "POST":
        require(manages)
        action = request.POST.get("action")
        if period is None:
            messages.error(request, _("Choose a period."))
        elif action == "compute":
            done = attempt(lambda: services.decisions_compute(period=period, acting_user=user))
            if done:
                messages.success(
                    request,
                    _("%(count)s decisions computed for %(period)s.")
                    % {"count": done.value, "period": period.label},
                )
            else:
                messages.error(request, done.message)
        elif action == "release":
            approved = list(Decision.objects.filter(period=period, status=Decision.Status.APPROVED))
            done = attempt(lambda: services.decisions_release(decisions=approved, acting_user=user))
            if done:
                messages.success(
                    request,
                    _("%(count)s decisions released; each person is told.")
                    % {"count": len(done.value)},
                )
            else:
                messages.error(request, done.message)
        elif action == "approve":
            ids = [_int(x) for x in request.POST.getlist("decision")]
            chosen = list(Decision.objects.filter(period=period, pk__in=[i for i in ids if i]))
            if not chosen:
                messages.error(request, _("Tick the decisions to approve."))
            else:
                done = attempt(
                    lambda: services.decisions_approve(decisions=chosen, acting_user=user)
                )
                if done:
                    messages.success(
                        request, _("%(count)s decisions approved.") % {"count": len(done.value)}
                    )
                else:
                    messages.error(request, done.message)
        url = request.path + (f"?period={period.pk}" if period else "")
        return redirect(url)
    rows = (
        list(
            selectors.with_current_total(permissions.visible_decisions(user))
            .filter(period=period)
            .select_related("person", "unit", "plan")
            .annotate(adjusted=Exists(LineAdjustment.objects.filter(decision=OuterRef("pk"))))
            .order_by("unit__path", "person__last_name", "person__first_name", "pk")
        )
        if period
        else []
    )
    budget = (
        Budget.objects.filter(period=period, unit__depth=0).select_related("unit").first()
        if period and manages
        else None
    )
    return render(
        request,
        "rewards/decisions.html",
        {
            "period": period,
            "periods": list(choices.values()),
            "rows": rows,
            "summary": selectors.review_summary(rows),
            "budget": budget,
            "manages": manages,
        },
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def decision_detail(request, pk):
    decision = permissions.decision_for_user(request.user, pk)
    manages = permissions.can_manage(request.user)
    plan = selectors.with_parts(IncentivePlan.objects.filter(pk=decision.plan_id)).get()
    adjustments = list(
        LineAdjustment.objects.filter(decision=decision).select_related("adjusted_by")
    )
    versions = list(decision.versions.select_related("created_by"))
    current = versions[-1] if versions else None
    clawbacks = list(Clawback.objects.filter(period_id=decision.period_id, person=decision.person))
    lines = selectors.explain_lines(
        decision,
        plan,
        adjustments,
        clawbacks,
        working=current.working if current is not None else None,
    )
    choices = [
        (row["line"]["key"] or row["kind"], row["label"] or row["kind"])
        for row in lines
        if row["kind"] != "adjustment"
    ]
    form = AdjustForm(request.POST or None, lines=choices)
    done = None
    if request.method == "POST":
        require(manages)
        done = post_form(
            request,
            form,
            lambda data: services.decision_adjust(
                decision=decision,
                line=data["line"],
                amount=data["amount"],
                reason=data["reason"],
                acting_user=request.user,
            ),
        )
        if done:
            messages.success(request, _("The adjustment is recorded."))
            return redirect("rewards:decision", pk=decision.pk)
    return render(
        request,
        "rewards/decision.html",
        {
            "decision": decision,
            "plan": plan,
            "lines": lines,
            "adjustments": adjustments,
            "versions": versions,
            "total": current.total if current is not None else decision.total,
            "form": form if manages and decision.status == Decision.Status.PROPOSED else None,
            "manages": manages,
            "own": decision.person_id == request.user.pk,
            "deadline": services.appeal_deadline(decision),
            "holds": list(decision.holds.all()),
        },
        status=form_status(done),
    )


@login_required
@require_GET
def my_decisions(request):
    """The person's own decisions, once released."""
    rows = (
        permissions.visible_decisions(request.user)
        .filter(person=request.user)
        .select_related("period__fiscal_year", "plan", "unit")
        .order_by("-period__start_date")
    )
    plans = (
        permissions.visible_plans(request.user)
        .filter(status=IncentivePlan.Status.PUBLISHED)
        .select_related("applies_from__fiscal_year")
    )
    return render(request, "rewards/mine.html", {"rows": rows, "plans": plans})


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reasons for the appeal"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Decision.Resolution.choices)
    amount = forms.DecimalField(
        label=gettext_lazy("Change to the bonus"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy("With a change: the amount added (negative: taken away)."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _decision_action(request, pk, act):
    """A POST on a decision: `act(decision)` through its service; its refusal is shown
    as a message on the decision's page."""
    decision = permissions.decision_for_user(request.user, pk)
    done = attempt(lambda: act(decision))
    if done:
        messages.success(request, _("Done."))
    else:
        messages.error(request, done.message)
    return redirect("rewards:decision", pk=decision.pk)


@login_required
@require_POST
def decision_acknowledge(request, pk):
    return _decision_action(
        request,
        pk,
        lambda d: services.decision_acknowledge(decision=d, acting_user=request.user),
    )


@login_required
@require_POST
def decision_appeal(request, pk):
    form = AppealForm(request.POST)
    reason = form.data.get("reason", "")
    return _decision_action(
        request,
        pk,
        lambda d: services.decision_appeal(decision=d, reason=reason, acting_user=request.user),
    )


@login_required
@require_POST
def decision_resolve(request, pk):
    decision = permissions.decision_for_user(request.user, pk)
    require(permissions.can_manage(request.user))
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("rewards:decision", pk=decision.pk)
    data = form.cleaned_data
    return _decision_action(
        request,
        pk,
        lambda d: services.appeal_resolve(
            decision=d,
            outcome=data["outcome"],
            reason=data["reason"],
            amount=data["amount"] if data["outcome"] == "changed" else None,
            acting_user=request.user,
        ),
    )


@login_required
@require_GET
def hold_list(request):
    """Promotion holds: the department and HR all, a supervisor their people's, a person
    their own."""
    holds = (
        permissions.visible_holds(request.user)
        .select_related("person", "decision__period__fiscal_year", "lifted_by")
        .order_by("-starts_on", "person__last_name")
    )
    return render(
        request,
        "rewards/holds.html",
        {"holds": holds, "manages": permissions.can_manage(request.user)},
    )


@login_required
@require_POST
def hold_lift(request, pk):
    hold = permissions.hold_for_user(request.user, pk)
    require(permissions.can_manage(request.user))
    reason = request.POST.get("reason", "")
    done = attempt(lambda: services.hold_lift(hold=hold, reason=reason, acting_user=request.user))
    if done:
        messages.success(request, _("The promotion hold is lifted."))
    else:
        messages.error(request, done.message)
    return redirect("rewards:holds")

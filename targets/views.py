"""Pages of the targets themselves: my targets, one target with its history,
acknowledgement and adjustments; the department's cascade workspace, cascade preview and
publication; the supervisors' bottom-up allocation; import and export of targets.

Thin: access through `permissions`, reads through `selectors`, writes through
`services`. Refusals (DomainError) are shown on the page with status 400 and write
nothing. An htmx request gets the re-rendered part of the page (the table body), any
other request a redirect with a message.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.permissions import require
from core.spreadsheets import XLSX_CONTENT_TYPE
from core.views import (
    CSV_CONTENT_TYPE,
    attachment,
    attempt,
    import_page,
    is_htmx,
    next_url,
    perform,
    submit,
)
from org import permissions as org_permissions
from org import selectors as org_selectors
from org.models import FiscalYear, OrgUnit, Period
from targets import cascade_planner, domain, imports, permissions, selectors, services
from targets.catalogue import services as catalogue_services
from targets.forms import (
    MODE_DOWN,
    MODE_ORG,
    MODE_TIME,
    AdjustmentForm,
    AllocationDecideForm,
    AllocationFilterForm,
    AllocationSubmitForm,
    CascadeForm,
    CellEditForm,
    DecisionForm,
    ExportForm,
    MemberValueForm,
    PublishForm,
    WorkspaceForm,
)
from targets.models import Adjustment, Metric, SeasonalityProfile, Target


def _require_department(user) -> None:
    require(permissions.can_manage_targets(user))


def _workspace_url(metric: Metric, period: Period) -> str:
    query = urlencode({"metric": metric.pk, "period": period.pk})
    return f"{reverse('targets:workspace')}?{query}"


def _first_error(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("The request is not valid.")


# --- the workspace ------------------------------------------------------------------------


def _workspace_rows_context(metric: Metric, period: Period, *, error=None) -> dict:
    low, high = catalogue_services.tolerance()
    return {
        "metric": metric,
        "period": period,
        "rows": selectors.workspace_rows(metric=metric, period=period),
        "editable_period": period.status == Period.Status.OPEN,
        "low": low,
        "high": high,
        "places": metric.decimal_places,
        "error": error or {},
    }


@login_required
@require_GET
def workspace(request):
    _require_department(request.user)
    metrics = selectors.active_metrics()
    years = org_selectors.fiscal_years_with_periods()
    current = selectors.fiscal_year_on(years, timezone.localdate())
    values = {
        "metric": metrics[0].pk if metrics else "",
        "period": current.year_period.pk if current and current.year_period else "",
    }
    values.update({k: request.GET[k] for k in ("metric", "period") if request.GET.get(k)})
    form = WorkspaceForm(values, metrics=metrics, years=years)
    context = {"form": form, "metrics": metrics, "years": years}
    status = 200
    if form.is_valid():
        metric, period = form.cleaned_data["metric"], form.cleaned_data["period"]
        context.update(_workspace_rows_context(metric, period))
        context["fiscal_year"] = period.fiscal_year
    elif metrics and years:
        status = 400
    return render(request, "targets/workspace.html", context, status=status)


@login_required
@require_POST
def cell_edit(request):
    """Set one draft value from the workspace; answers the re-rendered table body."""
    _require_department(request.user)
    form = CellEditForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    metric, period = data.get("metric"), data.get("period")
    if metric is None or period is None:
        return HttpResponse(_first_error(form), status=400, content_type="text/plain")
    unit, person, team = data.get("unit"), data.get("person"), data.get("team")
    if unit:
        key = f"unit-{unit.pk}"
    elif person:
        key = selectors.node_key(person.pk, team.pk if team else None)
    else:
        key = ""
    message = _cell_set(
        request,
        form,
        lambda: services.target_set(
            metric=metric,
            period=period,
            value=data["value"],
            unit=unit,
            person=person,
            team=data.get("team") if person else None,
            acting_user=request.user,
        ),
    )
    if not is_htmx(request):
        return redirect(_workspace_url(metric, period))
    error = {"key": key, "message": message, "value": request.POST.get("value", "")}
    context = _workspace_rows_context(metric, period, error=error if message else None)
    return render(request, "targets/_workspace_rows.html", context, status=400 if message else 200)


def _cell_set(request, form, action) -> str | None:
    """One value of a table set: the form's first error, or `action`'s refusal, or None
    when it is saved. Without htmx (the page comes again) it is also a message."""
    if form.errors:
        message = _first_error(form)
    else:
        done = attempt(action)
        message = done.message if not done else None
    if not is_htmx(request):
        if message:
            messages.error(request, message)
        else:
            messages.success(request, _("The target was saved."))
    return message


# --- cascade preview and write ---------------------------------------------------------------


def _plan(target: Target, data: dict) -> list[cascade_planner.PlannedTarget]:
    mode = data["mode"]
    if mode == MODE_ORG:
        method = data.get("method") or target.allocation_method
        if method == Target.Allocation.MANUAL:
            return cascade_planner.plan_typed_split(target, data["shares"] or [])
        return cascade_planner.plan_org_split(target, method=method, weights=data["shares"])
    if mode == MODE_TIME:
        return cascade_planner.plan_time_split(target, profile=data.get("profile"))
    return cascade_planner.plan_cascade_down(
        target, data.get("profile"), method=data.get("method") or None, weights=data["shares"]
    )


def _write(target: Target, data: dict, user) -> int:
    mode = data["mode"]
    if mode == MODE_ORG:
        method = data.get("method") or target.allocation_method
        if method == Target.Allocation.MANUAL:
            return services.cascade_typed(target=target, values=data["shares"], acting_user=user)
        return services.cascade_org(
            target=target, method=method, weights=data["shares"], acting_user=user
        )
    if mode == MODE_TIME:
        return services.cascade_time(target=target, profile=data.get("profile"), acting_user=user)
    return services.cascade_down(
        target=target,
        profile=data.get("profile"),
        method=data.get("method") or None,
        weights=data["shares"],
        acting_user=user,
    )


def _digest(planned) -> str:
    text = "|".join(f"{p.key}={p.value}" for p in planned)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _preview_summary(target: Target, planned, mode: str) -> dict:
    summary = {
        "count": len(planned),
        "new": sum(1 for p in planned if p.current is None),
        "changed": sum(1 for p in planned if p.current is not None and p.change),
        "published": sum(1 for p in planned if p.published),
    }
    if mode == MODE_ORG:
        low, high = catalogue_services.tolerance()
        total = sum((p.value for p in planned), start=target.value * 0)
        summary["total"] = total
        summary["state"] = domain.allocation_state(target.value, total, low, high)
        summary["share"] = (
            (total / target.value * 100).quantize(Decimal("0.1")) if target.value else None
        )
    return summary


def _pivot(target: Target, planned) -> dict:
    """A full cascade's preview as one line per owner (in cascade order) and one column
    per period (the year, its quarters, its months): easier to read than a list."""
    order = {Period.Kind.YEAR: 0, Period.Kind.QUARTER: 1, Period.Kind.MONTH: 2}
    periods = {target.period.pk: target.period}
    periods.update({p.period.pk: p.period for p in planned})
    columns = sorted(periods.values(), key=lambda p: (order[p.kind], p.start_date))
    owners: dict[tuple, dict] = {}
    root = (target.unit_id, target.person_id)
    owners[root] = {"unit": target.unit, "person": target.person, "team": target.team, "cells": {}}
    for p in planned:
        key = (p.unit.pk if p.unit else None, p.person.pk if p.person else None)
        line = owners.setdefault(
            key, {"unit": p.unit, "person": p.person, "team": p.team, "cells": {}}
        )
        line["cells"][p.period.pk] = p
    base = target.unit.depth if target.unit else 0
    lines = []
    for line in owners.values():
        if line["unit"] is not None:
            depth = line["unit"].depth - base
        else:
            team = line.get("team")
            depth = team.depth - base + 1 if team is not None else 0
        lines.append(
            {
                "owner": line["unit"] or line["person"],
                "unit": line["unit"],
                "person": line["person"],
                "depth": depth,
                "top": line["cells"].get(target.period.pk),
                "cells": [line["cells"].get(c.pk) for c in columns[1:]],
                "basis": next((c.basis for c in line["cells"].values()), ""),
                "team_path": line["team"].path if line.get("team") else "",
            }
        )
    # Depth first, as in the workspace: each team's people right under the team.
    lines.sort(key=lambda x: (x["unit"].path, 0) if x["unit"] else (x["team_path"], 1))
    return {"columns": columns[1:], "top": columns[0], "lines": lines}


@login_required
@require_http_methods(["GET", "POST"])
def cascade(request, pk):
    target = permissions.target_for_user(request.user, pk)
    _require_department(request.user)
    children = []
    if target.unit_id is not None:
        try:
            children = cascade_planner.plan_org_split(target, method=Target.Allocation.EQUAL)
        except DomainError:
            children = []
    submitted = request.method == "POST" or "mode" in request.GET
    if submitted:
        data = (request.POST if request.method == "POST" else request.GET).copy()
    else:
        data = {
            "mode": MODE_ORG if target.unit_id else MODE_TIME,
            "method": target.allocation_method,
            "profile": target.seasonality_id or "",
        }
    shares = [f"share_{i}" for i in range(len(children))]
    blank = not any((data.get(name) or "").strip() for name in shares)
    typed = data.get("method") in (Target.Allocation.WEIGHTS, Target.Allocation.MANUAL)
    if request.method == "GET" and blank and typed:
        # Start the value boxes from the values already below, the weight boxes from
        # the weights the targets below were given (never a prorated value: a joiner's
        # part would be prorated twice).
        weights = data.get("method") == Target.Allocation.WEIGHTS
        for name, child in zip(shares, children, strict=True):
            start = child.current_weight if weights else child.current
            if start is not None:
                data[name] = f"{start.normalize():f}"
    profiles = SeasonalityProfile.objects.all()
    form = CascadeForm(data, target=target, children=children, profiles=profiles)
    planned, error, summary = [], None, None
    if form.is_valid():
        done = attempt(lambda: _plan(target, form.cleaned_data))
        if not done:
            error = done.message
        else:
            planned = done.value
            summary = _preview_summary(target, planned, form.cleaned_data["mode"])
    if request.method == "POST" and form.is_valid() and error is None:
        expected = form.cleaned_data.get("preview")
        if expected and expected != _digest(planned):
            error = _(
                "The targets changed since the preview was shown. Check the new preview "
                "and write again."
            )
        else:
            done = attempt(lambda: _write(target, form.cleaned_data, request.user))
            if not done:
                error = done.message
            else:
                count = done.value
                messages.success(
                    request,
                    _("The cascade wrote %(count)s draft targets.") % {"count": count},
                )
                return redirect(_workspace_url(target.metric, target.period))
    status = 400 if submitted and (error or form.errors) else 200
    context_mode = form.cleaned_data.get("mode") if form.is_valid() else data.get("mode")
    context = {
        "target": target,
        "form": form,
        "planned": planned,
        "summary": summary,
        "error": error,
        "digest": _digest(planned) if planned else "",
        "mode": context_mode,
        "places": target.metric.decimal_places,
        "low_high": catalogue_services.tolerance(),
        "share_rows": list(zip(children, form.share_fields, strict=True)),
        "pivot": _pivot(target, planned) if planned and context_mode == MODE_DOWN else None,
    }
    return render(request, "targets/cascade.html", context, status=status)


# --- publication ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def publish(request):
    _require_department(request.user)
    if request.method == "POST":
        form = PublishForm(request.POST)
    else:
        initial = {}
        if not request.GET:
            metric = Metric.objects.filter(is_active=True).first()
            years = list(FiscalYear.objects.all())
            year = selectors.fiscal_year_on(years, timezone.localdate())
            initial = {
                "metric": metric.pk if metric else "",
                "fiscal_year": year.pk if year else "",
            }
        form = PublishForm(request.GET or initial)
    problems, drafts, error = [], 0, None
    if form.is_valid():
        metric, year = form.cleaned_data["metric"], form.cleaned_data["fiscal_year"]
        if request.method == "POST":
            done = attempt(
                lambda: services.targets_publish(
                    metric=metric, fiscal_year_id=year.pk, acting_user=request.user
                )
            )
            if not done:
                error = done.message
            else:
                count = done.value
                messages.success(
                    request,
                    _(
                        "%(count)s %(metric)s targets of %(year)s are published; their owners "
                        "are notified."
                    )
                    % {"count": count, "metric": metric.display_name, "year": year.name},
                )
                year_period = year.periods.filter(kind=Period.Kind.YEAR).first()
                return redirect(_workspace_url(metric, year_period))
        problems = services.publication_problems(metric=metric, fiscal_year_id=year.pk)
        drafts = selectors.draft_count(metric=metric, fiscal_year_id=year.pk)
    status = 400 if error or (request.method == "POST" and form.errors) else 200
    return render(
        request,
        "targets/publish.html",
        {"form": form, "problems": problems, "drafts": drafts, "error": error},
        status=status,
    )


# --- import and export -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def targets_import(request):
    _require_department(request.user)
    return import_page(
        request,
        page="targets/import.html",
        run=lambda upload: imports.import_targets(
            upload, filename=upload.name, acting_user=request.user
        ),
        done=_(
            "Imported %(file)s: %(created)s targets created, %(updated)s updated, "
            "%(unchanged)s unchanged (all drafts)."
        ),
        then="targets:import",
        blank="targets",
        csv=imports.template_csv,
        max_bytes=settings.ORG_IMPORT_MAX_BYTES,
        context={"columns": imports.COLUMNS},
    )


@login_required
@require_GET
def targets_export(request):
    user = request.user
    require(permissions.can_manage_targets(user) or org_permissions.is_supervisor(user))
    data = request.GET.copy()
    if not data.get("fiscal_year"):
        year = selectors.fiscal_year_on(list(FiscalYear.objects.all()), timezone.localdate())
        data["fiscal_year"] = year.pk if year else ""
    form = ExportForm(data)
    if not form.is_valid():
        return HttpResponse(_first_error(form), status=400, content_type="text/plain")
    year, metric = form.cleaned_data["fiscal_year"], form.cleaned_data["metric"]
    targets = selectors.export_targets(user=user, fiscal_year=year, metric=metric)
    name = f"targets-{year.name}" + (f"-{metric.code}" if metric else "")
    if form.cleaned_data.get("format") == "xlsx":
        return attachment(imports.export_xlsx(targets), f"{name}.xlsx", XLSX_CONTENT_TYPE)
    return attachment(imports.export_csv(targets), f"{name}.csv", CSV_CONTENT_TYPE)


# --- bottom-up allocation by supervisors ---------------------------------------------------------


def _team_target(user, pk) -> Target:
    """A team's unit target the user may see, else 404."""
    target = permissions.target_for_user(user, pk)
    if target.unit_id is None or target.unit.kind != OrgUnit.Kind.TEAM:
        raise Http404
    return target


@login_required
@require_GET
def allocation_list(request):
    user = request.user
    require(permissions.can_manage_targets(user) or org_permissions.is_supervisor(user))
    data = request.GET.copy()
    if "fiscal_year" not in data:
        year = selectors.fiscal_year_on(list(FiscalYear.objects.all()), timezone.localdate())
        data["fiscal_year"] = year.pk if year else ""
    if "kind" not in data:
        data["kind"] = Period.Kind.YEAR
    form = AllocationFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    targets = selectors.allocation_list(
        user=user,
        fiscal_year=filters.get("fiscal_year"),
        metric=filters.get("metric"),
        status=filters.get("status") or "",
        kind=filters.get("kind") or "",
    )
    page = Paginator(targets, 50).get_page(request.GET.get("page"))
    states = selectors.allocation_states(page.object_list)
    rows = [(t, *states[t.pk]) for t in page.object_list]
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "targets/allocation_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _allocation_context(user, target: Target, *, error=None) -> dict:
    alloc = selectors.team_allocation(target=target)
    open_ = target.allocation_status in (
        Target.AllocationStatus.OPEN,
        Target.AllocationStatus.RETURNED,
    )
    period_open = target.period.status == Period.Status.OPEN
    may_allocate = (
        open_
        and period_open
        and (permissions.leads_target(user, target) or permissions.can_manage_targets(user))
    )
    rows = []
    for node in alloc.rows:
        row_target = node.target or Target(
            metric=target.metric, period=target.period, person=node.person, team=target.unit
        )
        if row_target.team_id == target.unit_id:
            row_target.team = target.unit  # already loaded: no query per row
        editable = may_allocate and permissions.can_edit_target(
            user, row_target, team_target=target
        )
        share = None
        if node.target is not None and target.value:
            share = (node.target.value / target.value * 100).quantize(Decimal("0.1"))
        rows.append({"node": node, "editable": editable, "share": share})
    gap = alloc.children_sum - target.value
    share = (
        (alloc.children_sum / target.value * 100).quantize(Decimal("0.1")) if target.value else None
    )
    return {
        "target": target,
        "alloc": alloc,
        "rows": rows,
        "gap": gap,
        "share": share,
        "places": target.metric.decimal_places,
        "may_allocate": may_allocate,
        "can_submit": open_ and permissions.can_submit_allocation(user, target),
        "can_decide": target.allocation_status == Target.AllocationStatus.SUBMITTED
        and permissions.can_decide_allocation(user, target),
        "error": error or {},
    }


@login_required
@require_http_methods(["GET", "POST"])
def allocation(request, pk):
    """A team's allocation; a POST sets one member's value (answers the table)."""
    target = _team_target(request.user, pk)
    if request.method == "GET":
        context = _allocation_context(request.user, target)
        context["submit_form"] = AllocationSubmitForm()
        context["decide_form"] = AllocationDecideForm()
        return render(request, "targets/allocation.html", context)
    form = MemberValueForm(request.POST)
    context = _allocation_context(request.user, target)
    row = None
    if form.is_valid() or "person" in form.cleaned_data:
        person_id = form.cleaned_data.get("person")
        row = next((r for r in context["rows"] if r["node"].person.pk == person_id), None)
    if row is None:
        raise Http404
    require(row["editable"])
    message = _cell_set(
        request,
        form,
        lambda: services.target_set(
            metric=target.metric,
            period=target.period,
            value=form.cleaned_data["value"],
            person=row["node"].person,
            team=target.unit,
            acting_user=request.user,
        ),
    )
    if not is_htmx(request):
        return redirect("targets:allocation", pk=target.pk)
    error = {"key": row["node"].key, "message": message}
    error["value"] = request.POST.get("value", "")
    context = _allocation_context(request.user, target, error=error if message else None)
    return render(request, "targets/allocation_table.html", context, status=400 if message else 200)


def _allocation_refused(request, target: Target, message: str, **forms):
    context = _allocation_context(request.user, target)
    context["submit_form"] = forms.get("submit_form") or AllocationSubmitForm()
    context["decide_form"] = forms.get("decide_form") or AllocationDecideForm()
    context["action_error"] = message
    return render(request, "targets/allocation.html", context, status=400)


def _allocation_action(request, target: Target, form, form_name: str, act, success):
    """One action of the allocation page: with a valid `form`, `act()`, then the message
    `success()` and back to the page; else the page again with the refusal (400)."""
    if not form.is_valid():
        return _allocation_refused(request, target, _first_error(form), **{form_name: form})
    done = attempt(act)
    if not done:
        return _allocation_refused(request, target, done.message, **{form_name: form})
    messages.success(request, success())
    return redirect("targets:allocation", pk=target.pk)


@login_required
@require_POST
def allocation_submit(request, pk):
    target = _team_target(request.user, pk)
    require(permissions.can_submit_allocation(request.user, target))
    form = AllocationSubmitForm(request.POST)
    return _allocation_action(
        request,
        target,
        form,
        "submit_form",
        act=lambda: services.allocation_submit(
            target=target, acting_user=request.user, comment=form.cleaned_data["comment"]
        ),
        success=lambda: _("The allocation is submitted: the department is notified to approve it."),
    )


@login_required
@require_POST
def allocation_decide(request, pk):
    target = _team_target(request.user, pk)
    require(permissions.can_decide_allocation(request.user, target))
    form = AllocationDecideForm(request.POST)

    def approve() -> bool:
        return form.cleaned_data["decision"] == "approve"

    return _allocation_action(
        request,
        target,
        form,
        "decide_form",
        act=lambda: services.allocation_decide(
            target=target,
            approve=approve(),
            comment=form.cleaned_data["comment"],
            acting_user=request.user,
        ),
        success=lambda: (
            _("The allocation is approved; the supervisors are notified.")
            if approve()
            else _("The allocation is returned; the supervisors are notified.")
        ),
    )


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

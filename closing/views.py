"""Pages of the period close, mounted at /closing/: the periods with their close and
a "Close" button for the ended ones, the confirmation page that starts a close, the
run page with its live progress (htmx polls a fragment every second until the run
has finished), the run history, and the reopen form.

Thin: access through `closing.permissions` (the department starts and reopens, the
department and administrators read, everyone else 403; a hidden run 404), reads
through `closing.selectors`, writes through `closing.services`, whose refusals
(`DomainError`; `CloseBusy` when a close of the period is already running) are shown
on the page.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from closing import permissions, selectors, services
from core.permissions import require
from core.views import attempt, refusal_status, submit
from org.models import Period

HISTORY_PAGE_SIZE = 25


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Why the period must change again. It is kept with the period's history."
        ),
    )


def _period(pk) -> Period:
    return get_object_or_404(Period.objects.select_related("fiscal_year"), pk=pk)


@login_required
@require_GET
def period_list(request):
    require(permissions.can_read_runs(request.user))
    return render(
        request,
        "closing/periods.html",
        {
            "years": selectors.periods_for_closing(),
            "manages": permissions.can_run_closes(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def close_confirm(request, pk):
    """The confirmation page (GET) and the start of the close (POST)."""
    period = _period(pk)
    require(permissions.can_run_closes(request.user))
    error = ""
    status = 200
    if request.method == "POST":
        done = attempt(lambda: services.close_start(period=period, acting_user=request.user))
        if done:
            messages.success(
                request,
                _("The close of %(period)s has started.") % {"period": period.label},
            )
            return redirect("closing:run", pk=done.value.pk)
        error, status = done.message, refusal_status(done.error)
        period.refresh_from_db(fields=["status"])
    return render(
        request,
        "closing/close_confirm.html",
        {"preview": selectors.close_preview(period=period), "period": period, "error": error},
        status=status,
    )


@login_required
@require_GET
def run_detail(request, pk):
    return _run_page(request, pk, "closing/run_detail.html")


@login_required
@require_GET
def run_progress(request, pk):
    """The run's changing part alone, polled by the run page while the run is active."""
    return _run_page(request, pk, "closing/_run_body.html")


def _run_page(request, pk, template: str):
    run = permissions.run_for_user(request.user, pk)
    context = {
        "run": run,
        "progress": selectors.run_progress(run=run),
        "manages": permissions.can_run_closes(request.user),
    }
    return render(request, template, context)


@login_required
@require_GET
def run_history(request):
    require(permissions.can_read_runs(request.user))
    period = None
    query = ""
    period_id = request.GET.get("period", "")
    if period_id.isdigit():
        period = _period(period_id)
        query = f"period={period.pk}"
    runs = selectors.run_history(period=period)
    page = Paginator(runs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_progress(page.object_list)
    return render(
        request,
        "closing/run_history.html",
        {
            "page": page,
            "runs": page.object_list,
            "period": period,
            "query": query,
            "reopenings": selectors.reopenings_of(period=period) if period else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reopen(request, pk):
    period = _period(pk)
    require(permissions.can_run_closes(request.user))
    form = ReopenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(
            form,
            lambda: services.close_reopen(
                period=period, reason=form.cleaned_data["reason"], acting_user=request.user
            ),
        )
        status = refusal_status(done.error)
        if done:
            messages.success(
                request,
                _("%(period)s is open again. Close it again once it is corrected.")
                % {"period": period.label},
            )
            return redirect("closing:periods")
    return render(
        request,
        "closing/reopen.html",
        {
            "period": period,
            "form": form,
            "reopenings": selectors.reopenings_of(period=period),
            "reopened_with": [
                p for p in selectors.reopened_with(period=period) if p.pk != period.pk
            ],
        },
        status=status,
    )


# --- the schedule of the periodic jobs -------------------------------------------------------


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)
    time = forms.TimeField(
        label=gettext_lazy("Time of day"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("In the schedule's time zone; the days stay as they are."),
    )


def _schedule_page(request, *, forms_by_pk=None, status=200):
    jobs = selectors.scheduled_jobs()
    manages = permissions.can_run_closes(request.user)
    forms_by_pk = forms_by_pk or {}
    rows = []
    for job in jobs:
        form = None
        if manages and job.crontab.cadence != "custom":
            hour, minute = job.time
            form = forms_by_pk.get(job.task.pk) or ScheduleForm(
                initial={"enabled": job.task.enabled, "time": f"{hour:02}:{minute:02}"},
                prefix=f"job{job.task.pk}",
            )
        rows.append((job, form))
    return render(
        request,
        "closing/schedule.html",
        {
            "rows": rows,
            "changes": selectors.schedule_changes(),
            "manages": manages,
            "time_zone": settings.CELERY_TIMEZONE,
        },
        status=status,
    )


@login_required
@require_GET
def schedule(request):
    """The scheduled jobs: what each does, when it runs next, when it last ran and with
    what result; the department enables, disables and sets the time of each."""
    require(permissions.can_read_runs(request.user))
    return _schedule_page(request)


@login_required
@require_POST
def schedule_change(request, pk):
    require(permissions.can_read_runs(request.user))
    job = selectors.job_for_change(pk)
    require(permissions.can_run_closes(request.user))
    form = ScheduleForm(request.POST, prefix=f"job{job.pk}")
    if form.is_valid():
        moment = form.cleaned_data["time"]
        if submit(
            form,
            lambda: services.schedule_change(
                job=job,
                enabled=form.cleaned_data["enabled"],
                hour=moment.hour,
                minute=moment.minute,
                acting_user=request.user,
            ),
        ):
            messages.success(
                request, _("The schedule of “%(job)s” was changed.") % {"job": job.name}
            )
            return redirect("closing:schedule")
    return _schedule_page(request, forms_by_pk={job.pk: form}, status=400)

"""Pages of progress reports (policy 2.1 report progress and customer feedback; 2.2
track progress) and customer satisfaction (policy 3.2). Thin: access through
`sales.feedback.permissions`, reads through `sales.feedback.selectors`, writes
through `sales.feedback.services`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.permissions import require
from core.views import attempt, form_status, import_page, on_form, perform, post_form
from org.permissions import is_department
from sales.feedback import domain, imports, permissions, selectors, services
from sales.feedback.forms import (
    CommentForm,
    ProgressReportForm,
    SatisfactionFilterForm,
    SatisfactionForm,
    TeamFilterForm,
    people_filter_queryset,
)

PERIODS_PER_PAGE = 12
TEAM_ROWS_PER_PAGE = 50
RESPONSES_PER_PAGE = 50


def _page_number(request, name: str = "page") -> int:
    try:
        return max(int(request.GET.get(name, 0)), 0)
    except ValueError:
        return 0


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- progress reports: the salesperson ----------


@login_required
def progress_mine(request):
    user = request.user
    if not permissions.can_write_reports(user):
        require(permissions.can_see_team_reports(user))
        return redirect("sales:progress-team")
    today = timezone.localdate()
    older = _page_number(request, "older")
    rows = selectors.my_reports(
        person=user, today=today, count=PERIODS_PER_PAGE, offset=older * PERIODS_PER_PAGE
    )
    status = selectors.report_status(person=user, today=today)
    frequency = selectors.report_frequency()
    writable = [
        (period, selectors.period_label(period))
        for period in domain.writable_periods(today, frequency)
    ]
    return render(
        request,
        "sales/feedback/progress/mine.html",
        {
            "rows": rows,
            "status": status,
            "current_label": selectors.period_label(domain.period_containing(today, frequency)),
            "writable": writable,
            "older": older,
            "frequency": frequency,
            "grace_days": domain.GRACE_DAYS[frequency],
        },
    )


def _period_from(request, today: datetime.date) -> domain.ReportPeriod:
    frequency = selectors.report_frequency()
    raw = request.GET.get("period") or request.POST.get("period")
    if not raw:
        return domain.period_containing(today, frequency)
    try:
        return domain.period_starting(datetime.date.fromisoformat(raw), frequency)
    except (ValueError, DomainError):
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def progress_write(request):
    user = request.user
    require(permissions.can_write_reports(user))
    today = timezone.localdate()
    period = _period_from(request, today)
    report = selectors.own_report(person=user, period=period)
    if report is not None and report.commented_at is not None:
        messages.info(request, _("Your supervisor has commented on this report: it is locked."))
        return redirect("sales:progress-detail", pk=report.pk)
    unsent = report is None or report.submitted_at is None
    if unsent and not perform(request, lambda: domain.check_writable(period, today)):
        if report is not None:
            return redirect("sales:progress-detail", pk=report.pk)
        return redirect("sales:progress-mine")
    initial = {}
    if report is not None:
        initial = {name: getattr(report, name) for name in services.TEXT_FIELDS}
    form = ProgressReportForm(request.POST or None, initial=initial)
    submitting = "submit" in request.POST
    done = post_form(
        request,
        form,
        lambda data: services.report_save(
            person=user,
            period_start=period.start,
            submit=submitting,
            acting_user=user,
            today=today,
            **data,
        ),
    )
    if done:
        saved = done.value
        if submitting:
            messages.success(request, _("Your report was submitted to your supervisor."))
        elif saved.submitted_at is not None:
            messages.success(request, _("Your changes to the submitted report are saved."))
        else:
            messages.success(request, _("Your draft is saved. Submit it when it is ready."))
        return redirect("sales:progress-detail", pk=saved.pk)
    return render(
        request,
        "sales/feedback/progress/write.html",
        {
            "form": form,
            "report": report,
            "period": period,
            "period_label": selectors.period_label(period),
            "due": period.end,
            "deadline": domain.grace_deadline(period),
            "late": today > period.end,
        },
        status=form_status(done),
    )


@login_required
def progress_detail(request, pk):
    user = request.user
    report = permissions.report_for_user(user, pk)
    is_author = report.person_id == user.pk
    supervises = not is_author and permissions.supervises_report(user, report)
    if supervises:
        services.report_mark_read(report=report, acting_user=user)
    today = timezone.localdate()
    period = selectors.report_period(report)
    can_comment = not is_author and (supervises or is_department(user))
    return render(
        request,
        "sales/feedback/progress/detail.html",
        {
            "report": report,
            "period_label": selectors.period_label(period),
            "state": selectors.state_of(report, period, today),
            "is_author": is_author,
            "can_edit": is_author and report.commented_at is None,
            "can_comment": can_comment,
            "comment_form": CommentForm(initial={"comment": report.supervisor_comment}),
        },
    )


@login_required
@require_POST
def progress_comment(request, pk):
    user = request.user
    report = permissions.report_for_user(user, pk)
    require(permissions.can_comment(user, report))
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the comment."))
        return redirect("sales:progress-detail", pk=report.pk)
    done = perform(
        request,
        lambda: services.report_comment(
            report=report, comment=form.cleaned_data["comment"], acting_user=user
        ),
    )
    if done:
        messages.success(
            request,
            _("Your comment was sent to %(person)s; the report is now locked.")
            % {"person": report.person.display_name},
        )
    return redirect("sales:progress-detail", pk=report.pk)


# --- progress reports: supervisors and the department ----------


@login_required
def progress_team(request):
    user = request.user
    require(permissions.can_see_team_reports(user))
    today = timezone.localdate()
    form = TeamFilterForm(request.GET or None, user=user)
    if request.GET and not form.is_valid():
        if "unit" in form.errors:
            raise Http404
        form = TeamFilterForm(user=user)
    data = form.cleaned_data if form.is_bound else {}
    unit = data.get("unit")
    count = data.get("periods") or 6
    frequency = selectors.report_frequency()
    end = data.get("end") or today
    periods = list(reversed(domain.recent_periods(end, frequency, count)))
    rows = selectors.team_grid(user=user, periods=periods, today=today, unit=unit)
    summary = [
        {
            "period": p,
            "submitted": sum(1 for r in rows if r.cells[i].state.submitted),
            "missing": sum(1 for r in rows if r.cells[i].state.missing),
            "expected": sum(1 for r in rows if r.cells[i].state.state != domain.NOT_EXPECTED),
        }
        for i, p in enumerate(periods)
    ]
    if data.get("missing"):
        rows = [r for r in rows if r.missing]
    page = Paginator(rows, TEAM_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    earlier = periods[0].start - datetime.timedelta(days=1)
    later = periods[-1]
    for _i in range(count):
        later = domain.next_period(later)
    base = {k: v for k, v in request.GET.items() if k not in ("end", "page")}
    return render(
        request,
        "sales/feedback/progress/team.html",
        {
            "form": form,
            "unit": unit,
            "periods": [(p, selectors.period_label(p)) for p in periods],
            "page": page,
            "summary": summary,
            "query": _query_without_page(request),
            "earlier_url": "?" + urlencode({**base, "end": earlier.isoformat()}),
            "later_url": "?" + urlencode({**base, "end": min(later.start, today).isoformat()})
            if periods[-1].end < today
            else None,
            "frequency": frequency,
        },
    )


# --- customer satisfaction ----------


@login_required
def satisfaction_list(request):
    user = request.user
    require(permissions.can_see_satisfaction(user))
    today = timezone.localdate()
    people = people_filter_queryset(user)
    data = request.GET.copy()
    if "period" not in data:
        current = selectors.fiscal_period_on(today)
        data["period"] = current.pk if current else ""
    form = SatisfactionFilterForm(data, user=user, people=people)
    if not form.is_valid():
        if {"unit", "person"} & set(form.errors):
            raise Http404
        form = SatisfactionFilterForm({"period": ""}, user=user, people=people)
        form.is_valid()
    chosen = form.cleaned_data
    period = chosen.get("period")
    filters = {
        "start": period.start_date if period else None,
        "end": period.end_date if period else None,
        "unit": chosen.get("unit"),
        "person": chosen.get("person"),
    }
    averages = selectors.satisfaction_averages(selectors.satisfaction_for(user, **filters))
    responses = selectors.satisfaction_for(user, score=chosen.get("score"), **filters)
    page = Paginator(
        responses.select_related("customer", "salesperson", "period__fiscal_year").order_by(
            "-answered_on", "-id"
        ),
        RESPONSES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "sales/feedback/satisfaction/list.html",
        {
            "form": form,
            "period": period,
            "averages": averages,
            "page": page,
            "query": query.urlencode(),
            "can_enter": permissions.can_enter_satisfaction(user),
            "can_import": permissions.can_import_satisfaction(user),
            "filters_people": is_department(user) or permissions.can_enter_satisfaction(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def satisfaction_new(request):
    user = request.user
    require(permissions.can_enter_satisfaction(user))
    form = SatisfactionForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            done = attempt(lambda: services.satisfaction_save(acting_user=user, **data))
            if done.error is not None:
                on_form(form, done.error)
            else:
                messages.success(
                    request,
                    _("The response of %(customer)s about %(person)s is saved.")
                    % {
                        "customer": data["customer"].name,
                        "person": data["salesperson"].display_name,
                    },
                )
                if "another" in request.POST:
                    return redirect("sales:satisfaction-new")
                return redirect("sales:satisfaction")
        status = 400
    return render(request, "sales/feedback/satisfaction/new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def satisfaction_import(request):
    user = request.user
    require(permissions.can_import_satisfaction(user))
    return import_page(
        request,
        page="sales/feedback/satisfaction/import.html",
        run=lambda upload: imports.import_satisfaction(
            upload, filename=upload.name, acting_user=user
        ),
        done=_("Imported %(file)s: %(created)s responses added, %(updated)s updated."),
        then=reverse("sales:satisfaction") + "?period=",
        blank="satisfaction",
        csv=imports.template_csv,
        max_bytes=settings.SALES_IMPORT_MAX_BYTES,
        context={"columns": imports.COLUMNS},
    )

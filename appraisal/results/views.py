"""HR's appraisal results (mounted at /appraisal/results/, namespace
`appraisal-results`): the latest result of each finalised appraisal, filtered by
period, unit (its subtree) and grade, a page at a time, and the same list as a CSV
or XLSX file.

Thin: access through `appraisal.cycles.permissions.can_export_results` (HR and the
sales management department; anybody else 403, anonymous to the sign-in page), the
rows and files through `appraisal.results.exports`. Bad filters answer 400 naming the field:
on the page under the field, in an export as text.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from appraisal.cycles import permissions as permissions_cycles
from appraisal.cycles import services as services_cycles
from appraisal.models import GradeBand
from appraisal.results import exports
from core.permissions import require
from org.models import OrgUnit, Period
from org.permissions import visible_units
from sales.reports.forms import FORMATS, PeriodField, UnitField, error_lines, periods

ROWS_PER_PAGE = 50


def grade_choices() -> list[tuple[str, str]]:
    """The grades of the templates that have cycles, highest band first (one query)."""
    seen: dict[str, None] = {}
    for grade in (
        GradeBand.objects.filter(template__cycles__isnull=False)
        .order_by("-min_score", "grade")
        .values_list("grade", flat=True)
    ):
        seen.setdefault(grade, None)
    return [("", gettext_lazy("every grade"))] + [(g, g) for g in seen]


class ResultFilterForm(forms.Form):
    period = PeriodField(
        label=gettext_lazy("Period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=gettext_lazy("every period"),
        help_text=gettext_lazy("The cycles whose period lies within this one."),
    )
    unit = UnitField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("the whole organisation"),
        help_text=gettext_lazy("The teams in this unit and below."),
    )
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), required=False)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["period"].queryset = periods()
        self.fields["unit"].queryset = visible_units(user).order_by("path")
        self.fields["grade"].choices = grade_choices()

    def filters(self) -> exports.ResultFilters:
        data = self.cleaned_data
        return exports.ResultFilters(
            period=data.get("period"), unit=data.get("unit"), grade=data.get("grade") or ""
        )


class ResultExportForm(ResultFilterForm):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMATS, required=False)


def _query_without(data, *names: str) -> str:
    query = data.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def result_list(request):
    user = request.user
    require(permissions_cycles.can_export_results(user))
    form = ResultFilterForm(request.GET, user=user)
    context = {"form": form, "page": None, "errors": [], "query": ""}
    if not form.is_valid():
        context["errors"] = error_lines(form)
        return render(request, "appraisal/results/list.html", context, status=400)
    results = exports.latest_results(user, form.filters())
    context.update(
        page=Paginator(results, ROWS_PER_PAGE).get_page(request.GET.get("page")),
        query=_query_without(request.GET, "page"),
        filters=form.filters(),
    )
    return render(request, "appraisal/results/list.html", context)


@login_required
@require_GET
def result_export(request):
    user = request.user
    require(permissions_cycles.can_export_results(user))
    form = ResultExportForm(request.GET, user=user)
    if not form.is_valid():
        return HttpResponse(
            "\n".join(error_lines(form)), status=400, content_type="text/plain; charset=utf-8"
        )
    filters, file_format = form.filters(), form.cleaned_data.get("format") or "csv"
    response = exports.export_response(user, filters, file_format)
    services_cycles.results_exported(
        user=user,
        file_format=file_format,
        period=filters.period,
        unit=filters.unit,
        grade=filters.grade,
    )
    return response

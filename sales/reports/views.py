"""Pages of the sales reports (policy 2.2, "analyse sales data"): the index, sales by a
dimension, the target variance report and their CSV/XLSX exports.

Thin: access and figures through `sales.reports.selectors` (HR and anybody who may
see no sales answer 403), files through `sales.reports.exports`. Bad filters answer 400 with
the message naming the field: on the page under the field, in an export as text.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.permissions import require
from sales.reports import exports
from sales.reports import permissions as report_permissions
from sales.reports import selectors as reports
from sales.reports.forms import (
    SalesExportForm,
    SalesReportForm,
    VarianceExportForm,
    VarianceReportForm,
    error_lines,
    with_defaults,
    with_variance_defaults,
)

ROWS_PER_PAGE = 100
CHART_ROWS = 10


def _query_without(data, *names: str) -> str:
    """The filters as a query string, without some of them (page, sort...)."""
    query = data.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _bad_filters(form) -> HttpResponse:
    return HttpResponse(
        "\n".join(error_lines(form)), status=400, content_type="text/plain; charset=utf-8"
    )


@login_required
@require_GET
def reports_index(request):
    require(report_permissions.can_see_reports(request.user))
    return render(
        request,
        "sales/reports/analysis/index.html",
        {
            "titles": reports.DIMENSION_TITLES,
            "compares_units": report_permissions.can_compare_units(request.user),
        },
    )


def _sales_chart(report: reports.SalesReport) -> dict:
    if report.by == reports.MONTH:
        rows = sorted(report.rows, key=lambda r: r.month)
        kind = "line"
    else:
        rows = sorted(report.rows, key=lambda r: r.amount, reverse=True)[:CHART_ROWS]
        kind = "bar"
    return {
        "kind": kind,
        "labels": [r.label for r in rows],
        "series": [
            {"label": capfirst(_("amount")), "data": [r.amount for r in rows]},
            {"label": capfirst(_("gross margin")), "data": [r.gross_margin for r in rows]},
            {"label": capfirst(_("collected amount")), "data": [r.collected for r in rows]},
        ],
    }


def _sales_report(user, filters: dict) -> reports.SalesReport:
    """The sales report that the valid `filters` of a sales form ask for."""
    return reports.sales_report(
        user=user,
        by=filters["by"],
        date_range=filters["range"],
        unit=filters.get("unit"),
        sort=filters.get("sort") or None,
    )


@login_required
@require_GET
def report_sales(request):
    user = request.user
    require(report_permissions.can_see_reports(user))
    data = with_defaults(request.GET, by=reports.UNIT)
    form = SalesReportForm(data, user=user)
    context = {
        "form": form,
        "report": None,
        "errors": [],
        "by_query": _query_without(data, "page", "sort", "by"),
    }
    status = 200
    if form.is_valid():
        cleaned = form.cleaned_data
        first_header, second_header = exports.first_headers(cleaned["by"])
        report = _sales_report(user, cleaned)
        context.update(
            report=report,
            page=Paginator(report.rows, ROWS_PER_PAGE).get_page(request.GET.get("page")),
            chart=_sales_chart(report),
            title=reports.DIMENSION_TITLES[report.by],
            query=_query_without(data, "page"),
            sort_query=_query_without(data, "page", "sort"),
            unit_query=_query_without(data, "page", "unit", "sort"),
            first_header=first_header,
            second_header=second_header,
        )
    else:
        context["errors"] = error_lines(form)
        status = 400
    return render(request, "sales/reports/analysis/sales.html", context, status=status)


@login_required
@require_GET
def report_sales_export(request):
    user = request.user
    require(report_permissions.can_see_reports(user))
    form = SalesExportForm(with_defaults(request.GET, by=reports.UNIT), user=user)
    if not form.is_valid():
        return _bad_filters(form)
    data = form.cleaned_data
    report = _sales_report(user, data)
    return exports.report_response(exports.sales_table(report), data.get("format") or "csv")


def _variance(request, form_class):
    user = request.user
    require(report_permissions.can_see_reports(user))
    form = form_class(with_variance_defaults(request.GET), user=user)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    report = reports.variance_report(
        user=user,
        metric=data["metric"],
        period=data["period"],
        owners=data["owners"],
        unit=data.get("unit"),
        sort=data.get("sort") or None,
    )
    return form, report


def _variance_chart(report: reports.VarianceReport) -> dict:
    rows = report.rows[: CHART_ROWS * 2]
    return {
        "kind": "bar",
        "labels": [r.label for r in rows],
        "series": [
            {"label": capfirst(_("target")), "data": [r.target for r in rows]},
            {"label": _("Actual"), "data": [r.actual for r in rows]},
        ],
    }


@login_required
@require_GET
def report_variance(request):
    form, report = _variance(request, VarianceReportForm)
    context = {"form": form, "report": report, "errors": []}
    status = 200
    if report is None:
        context["errors"] = error_lines(form)
        status = 400
    else:
        context.update(
            chart=_variance_chart(report),
            number_format="0g" if report.metric.decimal_places == 0 else "2g",
            query=_query_without(form.data, "page"),
            sort_query=_query_without(form.data, "sort"),
            unit_query=_query_without(form.data, "unit", "sort"),
        )
    return render(request, "sales/reports/analysis/variance.html", context, status=status)


@login_required
@require_GET
def report_variance_export(request):
    form, report = _variance(request, VarianceExportForm)
    if report is None:
        return _bad_filters(form)
    file_format = form.cleaned_data.get("format") or "csv"
    return exports.report_response(exports.variance_table(report), file_format)

"""The payroll export page (薪酬导出), mounted at /rewards/payroll/: the approved bonus
decisions of a period, filtered by unit (its subtree), as a CSV or XLSX file.

    GET /rewards/payroll/?period=&unit=                  the filters and the two links
    GET /rewards/payroll/?period=&unit=&format=csv|xlsx  the file

Thin: access through `rewards.permissions.can_export` (the sales management department and
HR; anybody else 403, anonymous to the sign-in page), the rows and files through
`rewards.exports`. Bad filters answer 400 naming the field: on the page beside the
field, for a file as text.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.permissions import require
from org.models import OrgUnit, Period
from org.permissions import visible_units
from rewards import exports, permissions
from rewards.permissions import SETTLED, visible_decisions
from sales.reports.forms import FORMATS, PeriodField, UnitField, error_lines


def decision_periods(user):
    """The periods with decisions `user` may see, latest first (one query): those of the
    review page, so that its link names one of them (a period without an approved
    decision gives files with only their headers)."""
    ids = visible_decisions(user).values("period_id")
    return (
        Period.objects.filter(pk__in=ids)
        .select_related("fiscal_year")
        .order_by("-start_date", "-end_date")
    )


class PayrollForm(forms.Form):
    period = PeriodField(
        label=gettext_lazy("Period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=gettext_lazy("every period"),
        help_text=gettext_lazy("The decisions of this period, from approval on."),
    )
    unit = UnitField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("the whole organisation"),
        help_text=gettext_lazy("The teams in this unit and below."),
    )
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMATS, required=False)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["period"].queryset = decision_periods(user)
        self.fields["unit"].queryset = visible_units(user).order_by("path")

    def filters(self) -> exports.PayrollFilters:
        data = self.cleaned_data
        return exports.PayrollFilters(period=data.get("period"), unit=data.get("unit"))


@login_required
@require_GET
def payroll(request):
    user = request.user
    require(permissions.can_export(user))
    data = request.GET.copy()
    file_format = data.get("format")
    if "period" not in data and not file_format:
        # The page opens on the latest period with an approved decision (a file without
        # a period holds every period, as through the API).
        settled = visible_decisions(user).filter(status__in=SETTLED).values("period_id")
        latest = decision_periods(user).filter(pk__in=settled).first()
        if latest is not None:
            data["period"] = str(latest.pk)
    form = PayrollForm(data, user=user)
    if not form.is_valid():
        if file_format:
            return HttpResponse(
                "\n".join(error_lines(form)), status=400, content_type="text/plain; charset=utf-8"
            )
        context = {"form": form, "errors": error_lines(form), "summary": None, "query": ""}
        return render(request, "rewards/payroll.html", context, status=400)
    filters = form.filters()
    if form.cleaned_data["format"]:
        return exports.export_response(user, filters, form.cleaned_data["format"])
    query = data.copy()
    query.pop("format", None)
    # The number of decisions and their bonuses per currency (one query).
    summary = list(
        exports.payroll_versions(user, filters)
        .order_by("decision__plan__currency")
        .values("decision__plan__currency")
        .annotate(count=Count("pk"), total=Sum("total"))
    )
    context = {"form": form, "errors": [], "summary": summary, "query": query.urlencode()}
    return render(request, "rewards/payroll.html", context)

"""Filter forms of the sales reports and their exports (query strings, GET).

The forms check the shape of the filters and what the user may pick (a unit they may
see); the range rules (a period or two dates, in order, at most ten years) are
`sales.reports.selectors.report_range`, shared with the API. Every error is attached
to the field it is about; `error_lines` words them with the field's label.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.models import OrgUnit, Period
from sales.reports import permissions as report_permissions
from sales.reports import selectors as reports
from targets.models import Metric

FORMATS = [("csv", "CSV"), ("xlsx", "XLSX")]


class PeriodField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Period) -> str:
        if obj.kind == Period.Kind.MONTH:
            return f"\u2003\u2003{obj.label}"
        if obj.kind == Period.Kind.QUARTER:
            return f"\u2003{obj.label}"
        return obj.label


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return "\u2003" * obj.depth + obj.display_name


def periods():
    """Newest fiscal year first; in each, the year, then each quarter and its months."""
    return Period.objects.select_related("fiscal_year").order_by(
        "-fiscal_year__start_date", "start_date", "-end_date"
    )


def with_defaults(query, *, by: str | None = None):
    """The query string with the current fiscal year as the period when neither a period
    nor dates are given (and `by` when missing), so the form shows what the report
    covers."""
    data = query.copy()
    if by and not data.get("by"):
        data["by"] = by
    if not any(data.get(name) for name in ("period", "start", "end")):
        year = reports.current_year_period()
        if year is not None:
            data["period"] = str(year.pk)
    return data


def with_variance_defaults(query):
    """The query string with the first active metric and the current fiscal year when
    they are not given, so the form shows what the report compares."""
    data = query.copy()
    if not data.get("metric"):
        metric = reports.default_metric()
        if metric is not None:
            data["metric"] = str(metric.pk)
    if not data.get("period"):
        year = reports.current_year_period()
        if year is not None:
            data["period"] = str(year.pk)
    return data


def error_lines(form: forms.Form) -> list[str]:
    """Every error as "Field: message"."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            lines.append(f"{label}: {error}" if label else str(error))
    return lines


class _RangeMixin:
    """A period, or a start and an end date (`report_range` decides and words errors)."""

    def clean_range(self, cleaned: dict) -> None:
        if any(name in self.errors for name in ("period", "start", "end")):
            return
        try:
            cleaned["range"] = reports.report_range(
                period=cleaned.get("period"), start=cleaned.get("start"), end=cleaned.get("end")
            )
        except reports.ReportFilterError as exc:
            self.add_error(exc.field, str(exc))


def _date_field(label):
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _unit_field():
    return UnitField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("everything I may see"),
    )


def _sort_field(choices):
    return forms.ChoiceField(label=gettext_lazy("Sort"), choices=choices, required=False)


class SalesReportForm(_RangeMixin, forms.Form):
    by = forms.ChoiceField(label=gettext_lazy("Report by"), choices=reports.DIMENSIONS)
    period = PeriodField(
        label=gettext_lazy("Period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=gettext_lazy("dates below"),
    )
    start = _date_field(gettext_lazy("From"))
    end = _date_field(gettext_lazy("To"))
    unit = _unit_field()
    sort = _sort_field(reports.SALES_SORTS)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["period"].queryset = periods()
        self.fields["unit"].queryset = report_permissions.report_units(user).order_by("path")

    def clean(self):
        cleaned = super().clean()
        self.clean_range(cleaned)
        return cleaned


class SalesExportForm(SalesReportForm):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMATS, required=False)


class VarianceReportForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=gettext_lazy("Metric"),
        queryset=Metric.objects.all(),
        required=False,
        empty_label=None,
    )
    period = PeriodField(
        label=gettext_lazy("Period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=None,
    )
    owners = forms.ChoiceField(
        label=gettext_lazy("Compare"), choices=reports.OWNER_TYPES, required=False
    )
    unit = _unit_field()
    sort = _sort_field(reports.VARIANCE_SORTS)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.compares_units = report_permissions.can_compare_units(user)
        self.fields["period"].queryset = periods()
        self.fields["unit"].queryset = report_permissions.variance_units(user).order_by("path")
        if not self.compares_units:
            owners = self.fields["owners"]
            owners.choices = [c for c in reports.OWNER_TYPES if c[0] == reports.PERSON]
            owners.error_messages["invalid_choice"] = _(
                "You see your own figures only: compare people."
            )
            del self.fields["unit"]

    def clean_metric(self):
        metric = self.cleaned_data.get("metric") or reports.default_metric()
        if metric is None:
            raise forms.ValidationError(
                _("There is no metric yet: the department adds them to the catalogue.")
            )
        return metric

    def clean_period(self):
        period = self.cleaned_data.get("period") or reports.current_year_period()
        if period is None:
            raise forms.ValidationError(
                _("There is no fiscal year yet: the department creates it.")
            )
        return period

    def clean_owners(self):
        owners = self.cleaned_data.get("owners")
        if not owners:
            return reports.UNIT if self.compares_units else reports.PERSON
        return owners


class VarianceExportForm(VarianceReportForm):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMATS, required=False)

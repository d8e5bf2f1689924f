"""Serializers of the sales reports API (/api/v1/reports/...).

Query serializers check the filters' shape and what the user may pick (a unit outside
what they may see is "does not exist"); the range rules are
`sales.reports.selectors.report_range`, shared with the pages, and each error names
its field. Output serializers only read the report objects of the selectors.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import EnumField
from org.models import OrgUnit, Period
from org.serializers import UnitRefSerializer
from sales.reports import permissions as report_permissions
from sales.reports import selectors as reports
from targets.models import Metric
from targets.serializers import MetricRefSerializer, PeriodRefSerializer

FILE_FORMATS = [("csv", "CSV"), ("xlsx", "XLSX")]


def _periods():
    return Period.objects.select_related("fiscal_year")


def file_format():
    """The `format` of an export: csv (the default) or xlsx."""
    return EnumField(
        FILE_FORMATS,
        enum_name="ReportFileFormatEnum",
        default="csv",
        help_text=_("csv (UTF-8 with a byte order mark) or xlsx."),
    )


class _UnitsOfUserMixin:
    """`unit` limited to the units the requesting user may pick (`units(user)`)."""

    units = staticmethod(report_permissions.report_units)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "unit" in self.fields:
            self.fields["unit"].queryset = self.units(request.user)


# --- sales by a dimension ---------------------------------------------------------------------


class SalesReportQuerySerializer(_UnitsOfUserMixin, serializers.Serializer):
    by = EnumField(
        reports.DIMENSIONS,
        enum_name="SalesReportDimensionEnum",
        default=reports.UNIT,
        help_text=_(
            "What a row is: a unit (rolled up over its subtree), a person, a "
            "product, a category, a customer or a month."
        ),
    )
    period = serializers.PrimaryKeyRelatedField(
        queryset=_periods(),
        required=False,
        help_text=_(
            "A period (year, quarter or month); or give start and end instead. "
            "Neither: the current fiscal year."
        ),
    )
    start = serializers.DateField(required=False, help_text=_("First day of a date range."))
    end = serializers.DateField(required=False, help_text=_("Last day of a date range."))
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_(
            "Only this unit's subtree. With by=unit, the rows are the units "
            "directly below it; without it, the top units you may see."
        ),
    )
    sort = EnumField(
        reports.SALES_SORTS,
        enum_name="SalesReportSortEnum",
        required=False,
        help_text=_(
            "A column, descending with a leading minus. Default: -amount (label for months)."
        ),
    )

    def validate(self, attrs):
        try:
            attrs["range"] = reports.report_range(
                period=attrs.get("period"), start=attrs.get("start"), end=attrs.get("end")
            )
        except reports.ReportFilterError as exc:
            # a range with one end, or the wrong way round: what the schema cannot say
            raise serializers.ValidationError({exc.field: [str(exc)]}, code="combination") from None
        return attrs


class SalesExportQuerySerializer(SalesReportQuerySerializer):
    format = file_format()


class SalesRowSerializer(serializers.Serializer):
    label = serializers.CharField(
        help_text=_(
            "The unit, person, product, category, customer or month, in the reader's language."
        )
    )
    code = serializers.CharField(
        help_text=_("A unit's code, a person's username, a product's category, a month as YYYY-MM.")
    )
    id = serializers.IntegerField(
        allow_null=True, help_text=_("The unit's, person's or customer's id.")
    )
    month = serializers.DateField(allow_null=True, help_text=_("First day of the month."))
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    gross_margin = serializers.DecimalField(max_digits=20, decimal_places=2)
    quantity = serializers.DecimalField(max_digits=20, decimal_places=2)
    collected = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text=_("Collected in the range, by the day it was collected."),
    )
    records = serializers.IntegerField(help_text=_("Sales records (a split one counts once)."))
    drill = serializers.BooleanField(help_text=_("A unit with units below that you may open."))


class SalesReportSerializer(serializers.Serializer):
    by = EnumField(reports.DIMENSIONS, enum_name="SalesReportDimensionEnum")
    start = serializers.DateField(source="range.start")
    end = serializers.DateField(source="range.end")
    period = PeriodRefSerializer(source="range.period", allow_null=True)
    unit = UnitRefSerializer(allow_null=True)
    up = serializers.IntegerField(
        allow_null=True, help_text=_("With by=unit: the unit one level up, if you may open it.")
    )
    sort = EnumField(reports.SALES_SORTS, enum_name="SalesReportSortEnum")
    rows = SalesRowSerializer(many=True)
    totals = SalesRowSerializer()


# --- target variance -----------------------------------------------------------------------------


class VarianceQuerySerializer(_UnitsOfUserMixin, serializers.Serializer):
    units = staticmethod(report_permissions.variance_units)

    metric = serializers.PrimaryKeyRelatedField(
        queryset=Metric.objects.all(),
        required=False,
        help_text=_("Default: the first active metric."),
    )
    period = serializers.PrimaryKeyRelatedField(
        queryset=_periods(),
        required=False,
        help_text=_("A year, quarter or month. Default: the current fiscal year."),
    )
    owners = EnumField(
        reports.OWNER_TYPES,
        enum_name="VarianceOwnerTypeEnum",
        required=False,
        help_text=_(
            "Compare units (the department and supervisors) or people. Default: "
            "units if you may compare them, else people (yourself)."
        ),
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Units: those directly below this one. People: those in its subtree."),
    )
    sort = EnumField(reports.VARIANCE_SORTS, enum_name="VarianceSortEnum", required=False)

    def validate(self, attrs):
        user = self.context["request"].user
        compares = report_permissions.can_compare_units(user)
        if attrs.get("owners") == reports.UNIT and not compares:
            raise serializers.ValidationError(
                {"owners": [_("You see your own figures only: compare people.")]}
            )
        attrs.setdefault("owners", reports.UNIT if compares else reports.PERSON)
        if attrs.get("metric") is None:
            attrs["metric"] = reports.default_metric()
            if attrs["metric"] is None:
                raise serializers.ValidationError(
                    {
                        "metric": [
                            _("There is no metric yet: the department adds them to the catalogue.")
                        ]
                    },
                    code="does_not_exist",
                )
        if attrs.get("period") is None:
            attrs["period"] = reports.current_year_period()
            if attrs["period"] is None:
                raise serializers.ValidationError(
                    {"period": [_("There is no fiscal year yet: the department creates it.")]}
                )
        return attrs


class VarianceExportQuerySerializer(VarianceQuerySerializer):
    format = file_format()


class VarianceRowSerializer(serializers.Serializer):
    owner_type = EnumField(reports.OWNER_TYPES, enum_name="VarianceOwnerTypeEnum")
    id = serializers.IntegerField(allow_null=True, help_text=_("The unit's or person's id."))
    label = serializers.CharField()
    code = serializers.CharField(help_text=_("A unit's code or a person's username."))
    target = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        allow_null=True,
        help_text=_("The published target; null when there is none."),
    )
    actual = serializers.DecimalField(max_digits=20, decimal_places=2)
    variance = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text=_("Actual minus target.")
    )
    attainment = serializers.DecimalField(
        max_digits=10,
        decimal_places=1,
        allow_null=True,
        help_text=_("Actual divided by target, in percent; null without a target above 0."),
    )
    drill = serializers.BooleanField()


class VarianceReportSerializer(serializers.Serializer):
    metric = MetricRefSerializer()
    period = PeriodRefSerializer()
    owners = EnumField(reports.OWNER_TYPES, enum_name="VarianceOwnerTypeEnum")
    unit = UnitRefSerializer(allow_null=True)
    up = serializers.IntegerField(allow_null=True)
    sort = EnumField(reports.VARIANCE_SORTS, enum_name="VarianceSortEnum")
    rows = VarianceRowSerializer(many=True)
    totals = VarianceRowSerializer()
    notes = serializers.ListField(child=serializers.CharField())

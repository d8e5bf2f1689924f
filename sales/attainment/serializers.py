"""Input and output serializers of the attainment API (/api/v1/attainment/ and
/api/v1/dashboards/...).

The output serializers read the objects of `sales.attainment.selectors` (Attainment rows and
the dashboards built from them); they never query. Money and counts are decimal
strings with 2 decimals, percentages with 1 (the rounding of `sales.domain`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import EnumField, named_enum
from org.models import Period
from org.serializers import UnitRefSerializer, UserRefSerializer
from sales import domain
from targets.serializers import (
    PeriodRefSerializer,
    metric_direction,
    metric_unit,
    target_status,
)

OWNER_TYPES = [("unit", _("unit")), ("person", _("person"))]
PACE_SHAPES = [
    (domain.SHAPE_MONTH_TARGETS, _("by the monthly targets")),
    (domain.SHAPE_SEASONALITY, _("by the seasonality profile")),
    (domain.SHAPE_DAYS, _("by the days of the period")),
]
VERDICTS = [
    (domain.VERDICT_NONE, _("no target to judge")),
    (domain.VERDICT_TOO_EARLY, _("too early to tell")),
    (domain.VERDICT_AT_RISK, _("at risk")),
    (domain.VERDICT_ON_TRACK, _("on track")),
]
PACE_METHODS = [
    (domain.PACE_SEASONALITY, _("by the monthly targets or the seasonality profile")),
    (domain.PACE_DAYS, _("by the days")),
]


owner_type = named_enum(OWNER_TYPES, "AttainmentOwnerTypeEnum")


def amount(**kwargs):
    return serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, **kwargs)


def percent(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=1, read_only=True, **kwargs)


# --- input -----------------------------------------------------------------------------------


class OwnerListField(serializers.ListField):
    """Owners as "unit:<id>" or "person:<id>", repeated or separated by commas."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        owners = []
        for raw in values:
            for part in str(raw).split(","):
                part = part.strip()
                if not part:
                    continue
                kind, _sep, pk = part.partition(":")
                if kind not in ("unit", "person") or not pk.isdigit():
                    raise serializers.ValidationError(
                        _('"%(owner)s" is not an owner: write unit:<id> or person:<id>.')
                        % {"owner": part}
                    )
                owners.append((kind, int(pk)))
        return list(dict.fromkeys(owners))


class CodeListField(serializers.ListField):
    child = serializers.CharField()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        return list(
            dict.fromkeys(p.strip() for raw in values for p in str(raw).split(",") if p.strip())
        )


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.IntegerField(
        required=False,
        help_text=_("A month, quarter or fiscal year period id; the current month if left out."),
    )

    def validate_period(self, value):
        period = Period.objects.select_related("fiscal_year").filter(pk=value).first()
        if period is None:
            raise serializers.ValidationError(
                _("There is no period %(id)s.") % {"id": value}, code="does_not_exist"
            )
        return period


class AttainmentQuerySerializer(PeriodQuerySerializer):
    owner = OwnerListField(
        required=False,
        max_length=2000,
        help_text=_("unit:<id> or person:<id>, repeated or comma-separated; yourself if left out."),
    )
    metric = CodeListField(
        required=False,
        help_text=_("Metric codes, repeated or comma-separated; every active metric if left out."),
    )


class TeamQuerySerializer(PeriodQuerySerializer):
    unit = serializers.IntegerField(
        required=False,
        help_text=_("A unit you lead (or below); your first led unit if left out."),
    )
    sort = serializers.CharField(
        required=False,
        default="name",
        help_text=_(
            "name, team, risk, or a metric code (attainment, lowest first; -code highest first)."
        ),
    )


class OrgQuerySerializer(PeriodQuerySerializer):
    metric = serializers.CharField(
        required=False, help_text=_("A metric code; the first active metric if left out.")
    )


# --- output ----------------------------------------------------------------------------------


class MetricBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    unit = metric_unit(read_only=True)
    direction = metric_direction(read_only=True)


class MonthPointSerializer(serializers.Serializer):
    period = serializers.IntegerField(source="month.pk", read_only=True)
    label = serializers.CharField(source="month.label", read_only=True)
    start_date = serializers.DateField(source="month.start_date", read_only=True)
    actual = amount(allow_null=True, help_text=_("Empty for a month that has not started."))
    target = amount(allow_null=True, help_text=_("The owner's monthly target, if there is one."))


class TeamPartSerializer(serializers.Serializer):
    """A person's part of their target in one team, and what they sold while in it."""

    team = UnitRefSerializer(read_only=True)
    target = amount(source="cell.target", allow_null=True)
    actual = amount(source="cell.actual")
    attainment_pct = percent(source="cell.progress.attainment", allow_null=True)


class AttainmentRowSerializer(serializers.Serializer):
    owner_type = owner_type(read_only=True)
    owner_id = serializers.IntegerField(read_only=True)
    owner_name = serializers.SerializerMethodField()
    metric = MetricBriefSerializer(read_only=True)
    target_id = serializers.IntegerField(read_only=True, allow_null=True)
    target_status = target_status(read_only=True, allow_null=True)
    target = amount(allow_null=True)
    actual = amount()
    expected = amount(
        source="progress.expected",
        allow_null=True,
        help_text=_("The pace: the part of the target expected by today."),
    )
    variance = amount(source="progress.variance", allow_null=True, help_text=_("Actual - target."))
    pace_variance = amount(
        source="progress.pace_variance",
        allow_null=True,
        help_text=_("Actual - expected: ahead of the pace when positive."),
    )
    attainment_pct = percent(source="progress.attainment", allow_null=True)
    pace_pct = percent(
        source="progress.pace_pct", help_text=_("The share of the target expected by today.")
    )
    elapsed_pct = percent(help_text=_("The share of the period's days passed, today included."))
    pace_basis = EnumField(
        PACE_SHAPES, enum_name="PaceBasisEnum", source="progress.shape", read_only=True
    )
    projection = amount(
        source="progress.projection",
        allow_null=True,
        help_text=_("The actual carried to the end of the period at the pace; empty before it."),
    )
    projected_attainment_pct = percent(source="progress.projected_attainment", allow_null=True)
    at_risk = serializers.BooleanField(read_only=True)
    verdict = EnumField(
        VERDICTS,
        enum_name="RiskVerdictEnum",
        source="progress.verdict",
        read_only=True,
        help_text=_(
            "too_early while less than at_risk_min_elapsed_pct of the period has passed "
            "(as of the metric's lag): then at_risk is false."
        ),
    )
    risk_reason = serializers.CharField(
        read_only=True, help_text=_("Why it is at risk, in one line; empty when it is not.")
    )
    months = MonthPointSerializer(many=True, read_only=True)
    parts = TeamPartSerializer(
        many=True,
        read_only=True,
        help_text=_(
            "A person's dashboard, when they were in several teams during the period: "
            "their part of the target in each team and what they sold while in it (the "
            "target and the actual above are their sums). Empty otherwise."
        ),
    )

    @extend_schema_field(serializers.CharField())
    def get_owner_name(self, row) -> str:
        owner = self.context.get("owners", {}).get(tuple(row.owner[:2]))
        return owner.display_name if owner is not None else ""


class SettingsMixin(serializers.Serializer):
    today = serializers.DateField(read_only=True)
    at_risk_pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        read_only=True,
        help_text=_("At risk when the projection falls below this percentage of the target."),
    )
    at_risk_min_elapsed_pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        read_only=True,
        help_text=_("No at-risk verdict before this percentage of the period has passed."),
    )
    pace_method = EnumField(PACE_METHODS, enum_name="PaceMethodEnum", read_only=True)


class AttainmentSerializer(SettingsMixin):
    period = PeriodRefSerializer(read_only=True)
    rows = AttainmentRowSerializer(many=True, read_only=True)


class FollowUpDueSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    customer = serializers.CharField(source="customer.name", read_only=True)
    kind = serializers.CharField(read_only=True)
    next_action = serializers.CharField(read_only=True)
    next_action_on = serializers.DateField(read_only=True)


class ReportStatusSerializer(serializers.Serializer):
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    report_id = serializers.IntegerField(source="report.pk", read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(
        source="report.submitted_at", read_only=True, allow_null=True
    )
    previous_missing = serializers.IntegerField(
        read_only=True, help_text=_("Missing reports among the last periods.")
    )


class PersonDashboardSerializer(SettingsMixin):
    person = UserRefSerializer(read_only=True)
    period = PeriodRefSerializer(source="choice.period", read_only=True)
    cards = AttainmentRowSerializer(
        many=True,
        read_only=True,
        help_text=_("One per active metric, with the fiscal year month by month."),
    )
    followups_due = serializers.IntegerField(read_only=True)
    followups = FollowUpDueSerializer(many=True, read_only=True)
    report = ReportStatusSerializer(read_only=True, allow_null=True)


class UnitRowSerializer(serializers.Serializer):
    unit = UnitRefSerializer(read_only=True)
    at_risk = serializers.BooleanField(read_only=True)
    rows = AttainmentRowSerializer(source="cells", many=True, read_only=True)


class MemberRowSerializer(serializers.Serializer):
    """A member of the unit: their parts of the target in its teams against what they
    sold while in them (the member rows add up to the unit's row)."""

    person = UserRefSerializer(read_only=True)
    team = UnitRefSerializer(source="member.team", read_only=True)
    at_risk = serializers.BooleanField(read_only=True)
    rows = AttainmentRowSerializer(source="cells", many=True, read_only=True)


class TeamDashboardSerializer(SettingsMixin):
    unit = UnitRefSerializer(read_only=True)
    period = PeriodRefSerializer(source="choice.period", read_only=True)
    sort = serializers.CharField(read_only=True)
    totals = AttainmentRowSerializer(many=True, read_only=True)
    subunits = UnitRowSerializer(many=True, read_only=True)
    members = MemberRowSerializer(many=True, read_only=True)
    at_risk_count = serializers.IntegerField(read_only=True)


class TreeRowSerializer(serializers.Serializer):
    unit = UnitRefSerializer(read_only=True)
    depth = serializers.IntegerField(read_only=True)
    row = AttainmentRowSerializer(source="cell", read_only=True)


class RankedSerializer(serializers.Serializer):
    owner_type = owner_type(read_only=True)
    owner_id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)
    team = UnitRefSerializer(read_only=True, allow_null=True)
    attainment_pct = percent(source="cell.attainment", allow_null=True)
    at_risk = serializers.BooleanField(source="cell.at_risk", read_only=True)


class OrgDashboardSerializer(SettingsMixin):
    roots = UnitRefSerializer(many=True, read_only=True)
    period = PeriodRefSerializer(source="choice.period", read_only=True)
    metric = MetricBriefSerializer(read_only=True)
    tree = TreeRowSerializer(many=True, read_only=True)
    company = MonthPointSerializer(
        many=True, read_only=True, help_text=_("The tops summed, month by month.")
    )
    top_units = RankedSerializer(many=True, read_only=True)
    bottom_units = RankedSerializer(many=True, read_only=True)
    top_people = RankedSerializer(many=True, read_only=True)
    bottom_people = RankedSerializer(many=True, read_only=True)

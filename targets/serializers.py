"""Input and output serializers of the targets API (/api/v1/).

Output serializers only read: they expect the querysets of `targets.api` (related
rows already joined or prefetched), so a page costs a fixed number of queries.
Input serializers only check the shape of the input (types, choices, ids that
exist); every rule of targets (negative or over-precise values, closed periods,
weights adding up to 100 %, tolerance, reasons) is checked by `targets.services`,
which the views call, and comes back as 400 with the service's message.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import ReadSerializer, named_enum
from org.models import FiscalYear, Period
from org.serializers import UnitRefSerializer, UserRefSerializer, period_kind
from targets.models import (
    Adjustment,
    Metric,
    SalesPlan,
    SeasonalityProfile,
    Target,
)

# --- named enums (unique component names in the OpenAPI schema) ----------------------------


metric_unit = named_enum(Metric.Unit.choices, "MetricUnitEnum")
metric_direction = named_enum(Metric.Direction.choices, "MetricDirectionEnum")
metric_source = named_enum(Metric.Source.choices, "MetricSourceEnum")
seasonality_method = named_enum(SeasonalityProfile.Method.choices, "SeasonalityMethodEnum")
target_status = named_enum(Target.Status.choices, "TargetStatusEnum")
allocation_method = named_enum(Target.Allocation.choices, "AllocationMethodEnum")
allocation_status = named_enum(Target.AllocationStatus.choices, "AllocationStatusEnum")


OWNER_TYPES = [("unit", _("unit")), ("person", _("person"))]


owner_type_enum = named_enum(OWNER_TYPES, "TargetOwnerTypeEnum")
adjustment_kind = named_enum(Adjustment.Reason.choices, "AdjustmentKindEnum")
adjustment_status = named_enum(Adjustment.Status.choices, "AdjustmentStatusEnum")
plan_status = named_enum(SalesPlan.Status.choices, "SalesPlanStatusEnum")


PLAN_DECISIONS = [("", _("not reviewed")), ("approved", _("approved")), ("returned", _("returned"))]


plan_decision = named_enum(PLAN_DECISIONS, "SalesPlanDecisionEnum")


CASCADE_MODES = [
    ("org", _("one level down the organisation")),
    ("time", _("an annual target into its quarters and months")),
    ("down", _("every unit and person below, then every owner's quarters and months")),
]


cascade_mode = named_enum(CASCADE_MODES, "CascadeModeEnum")


def amount(**kwargs):
    """A decimal amount as a string with 2 decimals (how values are stored)."""
    return serializers.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def typed_value(**kwargs):
    """A value as typed: any decimal number; the service says what is wrong with it
    (negative, more decimals than the metric allows, too large)."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


# --- small nested shapes ---------------------------------------------------------------


class MetricRefSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    unit = metric_unit(read_only=True)
    decimal_places = serializers.IntegerField(read_only=True)

    class Meta:
        model = Metric
        fields = ["id", "code", "name", "name_zh", "display_name", "unit", "decimal_places"]


class PeriodRefSerializer(ReadSerializer):
    """Needs the period's fiscal year joined (its label names it)."""

    label = serializers.CharField(read_only=True)
    kind = period_kind(read_only=True)

    class Meta:
        model = Period
        fields = ["id", "label", "kind", "number", "fiscal_year", "start_date", "end_date"]


class OwnerMixin(serializers.Serializer):
    owner_type = serializers.SerializerMethodField()

    @extend_schema_field(owner_type_enum())
    def get_owner_type(self, obj) -> str:
        return "unit" if obj.unit is not None else "person"


# --- metrics -----------------------------------------------------------------------------


# --- seasonality profiles ------------------------------------------------------------------


# --- targets ---------------------------------------------------------------------------------


class TargetSerializer(OwnerMixin, serializers.ModelSerializer):
    metric = MetricRefSerializer(read_only=True)
    period = PeriodRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True, allow_null=True)
    person = UserRefSerializer(read_only=True, allow_null=True)
    team = UnitRefSerializer(
        read_only=True,
        allow_null=True,
        help_text=_("For a person's target: the team's allocation it belongs to."),
    )
    value = amount(read_only=True)
    status = target_status(read_only=True)
    allocation_method = allocation_method(read_only=True)
    allocation_status = allocation_status(read_only=True)
    basis_display = serializers.CharField(
        read_only=True, help_text=_("How the value was arrived at, in the reader's language.")
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "metric",
            "period",
            "owner_type",
            "unit",
            "person",
            "team",
            "value",
            "status",
            "basis",
            "basis_display",
            "allocation_method",
            "allocation_status",
            "allocation_comment",
            "seasonality",
            "published_at",
            "acknowledged_at",
        ]
        read_only_fields = fields


class TargetSetSerializer(serializers.Serializer):
    """Set the draft value of a target: give `unit` or `person` (not both)."""

    metric = serializers.PrimaryKeyRelatedField(queryset=Metric.objects.all(), label=_("metric"))
    period = serializers.PrimaryKeyRelatedField(queryset=Period.objects.all(), label=_("period"))
    unit = serializers.IntegerField(
        required=False, allow_null=True, label=_("unit"), help_text=_("Id of the owning unit.")
    )
    person = serializers.IntegerField(
        required=False,
        allow_null=True,
        label=_("person"),
        help_text=_("Id of the owning person."),
    )
    team = serializers.IntegerField(
        required=False,
        allow_null=True,
        label=_("team"),
        help_text=_(
            "With a person: the id of the team whose part this is (a person who moved has a "
            "part in each team they were in); the team they were last in during the period "
            "if empty."
        ),
    )
    value = typed_value(label=_("value"))

    def validate(self, attrs):
        if (attrs.get("unit") is None) == (attrs.get("person") is None):
            raise serializers.ValidationError(
                {"unit": [_("Give either a unit or a person, not both.")]}
            )
        if attrs.get("team") is not None and attrs.get("person") is None:
            raise serializers.ValidationError({"team": [_("Only a person's target has a team.")]})
        return attrs


class TargetValueSerializer(serializers.Serializer):
    value = typed_value(label=_("value"))


class CascadeSerializer(serializers.Serializer):
    mode = cascade_mode(label=_("cascade"))
    method = allocation_method(
        required=False,
        label=_("allocation method"),
        help_text=_(
            "modes org and down: how to split one level down (the target's own method if empty)."
        ),
    )
    weights = serializers.ListField(
        child=typed_value(),
        required=False,
        allow_null=True,
        default=None,
        label=_("weights"),
        help_text=_(
            "modes org and down with method weights: one weight per unit or person below "
            "(a person who moved into a team counts once per team); empty keeps the weights "
            "of the targets below."
        ),
    )
    profile = serializers.PrimaryKeyRelatedField(
        queryset=SeasonalityProfile.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        label=_("seasonality profile"),
        help_text=_("modes time and down: the profile (the target's own profile if empty)."),
    )
    preview = serializers.BooleanField(
        default=False,
        label=_("preview"),
        help_text=_("Return the planned rows without writing anything."),
    )

    def validate(self, attrs):
        # The same inputs as the workspace's cascade form: a method and weights one level
        # down for the cascades over the organisation (org, down), a profile for those
        # over time (time, down).
        errors = {}
        if attrs["mode"] == "time":
            if attrs.get("method"):
                errors["method"] = [_("Only a cascade over the organisation takes a method.")]
            if attrs.get("weights") is not None:
                errors["weights"] = [_("Only a cascade over the organisation takes weights.")]
        elif attrs["mode"] == "org" and attrs.get("profile") is not None:
            errors["profile"] = [_("A cascade over the organisation takes no profile.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class PlannedTargetSerializer(OwnerMixin, serializers.Serializer):
    """One row a cascade writes (or would write)."""

    period = PeriodRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True, allow_null=True)
    person = UserRefSerializer(read_only=True, allow_null=True)
    team = UnitRefSerializer(read_only=True, allow_null=True)
    value = amount(read_only=True, help_text=_("The value the cascade writes."))
    current = amount(
        read_only=True, allow_null=True, help_text=_("The value now, if the target exists.")
    )
    change = amount(read_only=True, allow_null=True, help_text=_("value - current."))
    published = serializers.BooleanField(
        read_only=True, help_text=_("The target is published: the cascade would be refused.")
    )
    basis = serializers.CharField(read_only=True)


class CascadeResultSerializer(serializers.Serializer):
    preview = serializers.BooleanField()
    count = serializers.IntegerField(
        help_text=_("Preview: rows planned. Otherwise: targets created or changed.")
    )
    rows = PlannedTargetSerializer(
        many=True, help_text=_("The planned rows (a preview only; empty after writing).")
    )


class AllocationSubmitSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, label=_("comment")
    )


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(label=_("approve"), help_text=_("false returns it."))
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        label=_("comment"),
        help_text=_("Required when returning."),
    )


class PublishSerializer(serializers.Serializer):
    metric = serializers.PrimaryKeyRelatedField(queryset=Metric.objects.all(), label=_("metric"))
    fiscal_year = serializers.PrimaryKeyRelatedField(
        queryset=FiscalYear.objects.all(), label=_("fiscal year")
    )


class PublishedSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Targets published."))


class PublicationProblemsSerializer(serializers.Serializer):
    publishable = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


class PublicationRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField())


# --- adjustments ---------------------------------------------------------------------------


class TargetRefSerializer(OwnerMixin, serializers.ModelSerializer):
    metric = MetricRefSerializer(read_only=True)
    period = PeriodRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True, allow_null=True)
    person = UserRefSerializer(read_only=True, allow_null=True)
    value = amount(read_only=True)
    status = target_status(read_only=True)

    class Meta:
        model = Target
        fields = ["id", "metric", "period", "owner_type", "unit", "person", "value", "status"]
        read_only_fields = fields


class AdjustmentSerializer(ReadSerializer):
    target = TargetRefSerializer(read_only=True)
    kind = adjustment_kind(read_only=True)
    old_value = amount(read_only=True)
    new_value = amount(read_only=True)
    effective_period = PeriodRefSerializer(read_only=True)
    status = adjustment_status(read_only=True)
    requested_by = UserRefSerializer(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "target",
            "kind",
            "old_value",
            "new_value",
            "reason",
            "effective_period",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class AdjustmentRequestSerializer(serializers.Serializer):
    target = serializers.IntegerField(label=_("target"), help_text=_("Id of a published target."))
    new_value = typed_value(label=_("new value"))
    kind = adjustment_kind(label=_("kind"))
    reason = serializers.CharField(allow_blank=True, max_length=4000, label=_("reason"))
    effective_period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.all(),
        label=_("effective from"),
        help_text=_(
            "A period within the target's period (the period itself, a quarter or a month) "
            "that starts at the first month still open or later: months that are closing or "
            "closed never change."
        ),
    )


class AdjustmentDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(label=_("approve"))
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        label=_("decision note"),
        help_text=_("Required when not approving."),
    )


# --- personal sales plans ----------------------------------------------------------------------

"""Input and output serializers of the rewards API (/api/v1/incentive-plans/,
/api/v1/bonus-decisions/). Output serializers only read (what they join is selected by the
viewsets, so a page costs a fixed number of queries); input serializers check the shape of
the input, the rules are `rewards.services`'s and `rewards.domain`'s."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import ReadSerializer, named_enum
from org.models import Period
from org.serializers import UnitRefSerializer, UserRefSerializer, period_kind
from rewards.models import (
    Decision,
    DecisionVersion,
    IncentivePlan,
    LineAdjustment,
    PromotionHold,
)

decision_status = named_enum(Decision.Status.choices, "BonusDecisionStatusEnum")
waiting_for = named_enum(Decision.Waiting.choices, "BonusDecisionWaitingEnum")
plan_status = named_enum(IncentivePlan.Status.choices, "IncentivePlanStatusEnum")
target_mode = named_enum(IncentivePlan.TargetMode.choices, "IncentivePlanTargetModeEnum")


def money(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, **kwargs)


class PlanComponentSerializer(serializers.Serializer):
    metric = serializers.CharField(source="component.metric.code", read_only=True)
    metric_name = serializers.CharField(source="metric", read_only=True)
    weight = serializers.DecimalField(
        source="component.weight", max_digits=5, decimal_places=2, read_only=True
    )
    mode = serializers.CharField(source="component.mode", read_only=True)
    threshold = serializers.DecimalField(
        source="component.threshold", max_digits=7, decimal_places=2, read_only=True
    )
    cap = serializers.DecimalField(
        source="component.cap", max_digits=7, decimal_places=2, read_only=True, allow_null=True
    )
    tiers = serializers.ListField(
        source="component.tiers",
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text=_("[from attainment %, rate] pairs."),
    )
    text = serializers.CharField(read_only=True, help_text=_("The curve in plain words."))


class IncentivePlanSerializer(ReadSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    period_kind = period_kind(read_only=True)
    applies_from = serializers.CharField(source="applies_from.label", read_only=True)
    applies_from_id = serializers.IntegerField(read_only=True)
    status = plan_status(read_only=True)
    target_mode = target_mode(read_only=True)
    target_amount = money(allow_null=True)

    class Meta:
        model = IncentivePlan
        fields = [
            "id",
            "code",
            "version",
            "name",
            "period_kind",
            "applies_from",
            "applies_from_id",
            "status",
            "published_at",
            "currency",
            "target_mode",
            "target_amount",
        ]


class IncentivePlanDetailSerializer(IncentivePlanSerializer):
    components = PlanComponentSerializer(source="explained.components", many=True, read_only=True)
    multipliers = serializers.DictField(child=serializers.CharField(), allow_null=True)
    multipliers_text = serializers.CharField(source="explained.multipliers", read_only=True)
    penalties = serializers.ListField(
        source="explained.penalties",
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Each penalty rule in plain words."),
    )
    cap = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)

    class Meta(IncentivePlanSerializer.Meta):
        fields = [
            *IncentivePlanSerializer.Meta.fields,
            "description",
            "cap",
            "multipliers",
            "multipliers_text",
            "min_days",
            "components",
            "penalties",
        ]


class DecisionSerializer(ReadSerializer):
    person = UserRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    period = serializers.CharField(source="period.label", read_only=True)
    period_id = serializers.IntegerField(read_only=True)
    plan_id = serializers.IntegerField(read_only=True)
    status = decision_status(read_only=True)
    waiting_for = waiting_for(read_only=True)
    target_incentive = money(allow_null=True)
    total = money(
        source="total_now",
        allow_null=True,
        help_text=_(
            "What the decision stands at: its latest approved version's total, else the "
            "proposal's. None while waiting: never a silent 0."
        ),
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "person",
            "unit",
            "period",
            "period_id",
            "plan_id",
            "status",
            "waiting_for",
            "target_incentive",
            "total",
            "hold_periods",
            "computed_at",
            "approved_at",
            "released_at",
        ]


class DecisionLineSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True)
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    amount = money()
    attainment = serializers.CharField(source="line.attainment", read_only=True, allow_null=True)
    tier = serializers.IntegerField(read_only=True, allow_null=True, default=None)
    payout = serializers.CharField(source="line.payout", read_only=True, allow_null=True)
    factor = serializers.CharField(source="line.factor", read_only=True, allow_null=True)
    text = serializers.CharField(read_only=True, default="")


class LineAdjustmentSerializer(ReadSerializer):
    adjusted_by = UserRefSerializer(read_only=True)

    class Meta:
        model = LineAdjustment
        fields = ["id", "line", "amount", "reason", "adjusted_by", "adjusted_at"]


class DecisionVersionSerializer(ReadSerializer):
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = DecisionVersion
        fields = [
            "version",
            "total",
            "before_penalties",
            "adjustments",
            "hold_periods",
            "reason",
            "created_at",
            "created_by",
        ]


class DecisionDetailSerializer(DecisionSerializer):
    lines = DecisionLineSerializer(
        many=True, read_only=True, help_text=_("They add up to the total.")
    )
    adjustments = LineAdjustmentSerializer(source="adjustment_rows", many=True, read_only=True)
    versions = DecisionVersionSerializer(source="version_rows", many=True, read_only=True)

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "lines", "adjustments", "versions"]


class DecisionComputeSerializer(serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"), help_text=_("period id")
    )


class DecisionsComputedSerializer(serializers.Serializer):
    computed = serializers.IntegerField(read_only=True)


class DecisionAdjustSerializer(serializers.Serializer):
    line = serializers.CharField(max_length=60, help_text=_("The key of the line to adjust."))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(max_length=2000)


class DecisionApproveSerializer(serializers.Serializer):
    decisions = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(), many=True, allow_empty=False
    )


class DecisionReleaseSerializer(serializers.Serializer):
    decisions = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(), many=True, allow_empty=False
    )


class DecisionAppealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, help_text=_("The reasons for the appeal."))


class DecisionResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Decision.Resolution.choices)
    reason = serializers.CharField(max_length=4000)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("With the outcome changed: the amount added to the bonus (negative: taken)."),
    )


class PromotionHoldSerializer(ReadSerializer):
    person = UserRefSerializer(read_only=True)
    decision_id = serializers.IntegerField(read_only=True)
    lifted_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PromotionHold
        fields = [
            "id",
            "person",
            "decision_id",
            "rule",
            "reason",
            "starts_on",
            "ends_on",
            "lifted_at",
            "lifted_by",
            "lift_reason",
        ]


class HoldLiftSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)

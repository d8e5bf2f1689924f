"""Input and output serializers of the personal sales plans API (/api/v1/plans/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import ReadSerializer
from org.models import Period
from org.serializers import UserRefSerializer
from targets.models import SalesPlan, SalesPlanVersion
from targets.serializers import DecisionSerializer, PeriodRefSerializer, plan_decision, plan_status


class SalesPlanVersionSerializer(ReadSerializer):
    pipeline = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Expected pipeline by month: {month period id: amount}."),
    )
    created_by = UserRefSerializer(read_only=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)
    decision = plan_decision(read_only=True)

    class Meta:
        model = SalesPlanVersion
        fields = [
            "number",
            "key_accounts",
            "actions",
            "pipeline",
            "resources",
            "created_by",
            "created_at",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "decision",
            "review_comment",
        ]


class SalesPlanSerializer(ReadSerializer):
    person = UserRefSerializer(read_only=True)
    period = PeriodRefSerializer(read_only=True)
    status = plan_status(read_only=True)
    versions = SalesPlanVersionSerializer(
        many=True, read_only=True, help_text=_("Newest first; earlier versions are kept.")
    )

    class Meta:
        model = SalesPlan
        fields = ["id", "person", "period", "status", "created_at", "updated_at", "versions"]


class SalesPlanWriteSerializer(serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(queryset=Period.objects.all(), label=_("period"))
    key_accounts = serializers.CharField(allow_blank=True, label=_("key accounts"))
    actions = serializers.CharField(allow_blank=True, label=_("actions"))
    pipeline = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        required=False,
        default=dict,
        label=_("expected pipeline by month"),
        help_text=_("{month period id: amount} for months within the plan's period."),
    )
    resources = serializers.CharField(
        required=False, allow_blank=True, default="", label=_("resources needed")
    )


class PlanReviewSerializer(DecisionSerializer):
    pass

"""Input and output serializers of the catalogue API: metrics, seasonality profiles and
the tolerance band."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import ReadSerializer
from org.serializers import UserRefSerializer
from targets.models import Metric, SeasonalityProfile, ToleranceBand
from targets.serializers import (
    metric_direction,
    metric_source,
    metric_unit,
    seasonality_method,
    typed_value,
)


class MetricSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    unit = metric_unit(read_only=True)
    direction = metric_direction(read_only=True)
    source = metric_source(read_only=True)
    decimal_places = serializers.IntegerField(
        read_only=True, help_text=_("Decimals of a target value: money and percent 2, counts 0.")
    )

    class Meta:
        model = Metric
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "display_name",
            "unit",
            "direction",
            "source",
            "description",
            "is_active",
            "position",
            "decimal_places",
        ]


class MetricWriteSerializer(serializers.Serializer):
    """Create: `code`, `name`, `name_zh`, `unit` and `source` are required. PATCH: every
    field is optional."""

    code = serializers.SlugField(max_length=40, label=_("code"))
    name = serializers.CharField(max_length=100, label=_("name"))
    name_zh = serializers.CharField(max_length=100, label=_("name (Chinese)"))
    unit = metric_unit(label=_("unit"))
    direction = metric_direction(required=False, label=_("direction"))
    source = metric_source(label=_("actual computed as"))
    description = serializers.CharField(required=False, allow_blank=True, label=_("description"))
    is_active = serializers.BooleanField(required=False, label=_("active"))
    position = serializers.IntegerField(
        required=False, min_value=0, max_value=32767, label=_("position")
    )


class SeasonalityProfileSerializer(ReadSerializer):
    method = seasonality_method(read_only=True)
    weights = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Twelve monthly percentages, fiscal month 1 first (custom profiles only)."),
    )

    class Meta:
        model = SeasonalityProfile
        fields = ["id", "name", "method", "weights"]


class SeasonalityProfileWriteSerializer(serializers.Serializer):
    """Create: `name` and `method` are required. PATCH: every field is optional."""

    name = serializers.CharField(max_length=100, label=_("name"))
    method = seasonality_method(label=_("method"))
    weights = serializers.ListField(
        child=typed_value(),
        required=False,
        label=_("monthly weights (%)"),
        help_text=_(
            "For the custom method: twelve percentages, fiscal month 1 first, adding up "
            "to exactly 100."
        ),
    )


class ToleranceBandSerializer(ReadSerializer):
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = ToleranceBand
        fields = ["id", "min_pct", "max_pct", "reason", "created_at", "created_by"]


class ToleranceSerializer(serializers.Serializer):
    min_pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        read_only=True,
        help_text=_("The lowest share of the parent the targets below it may add up to (%)."),
    )
    max_pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        read_only=True,
        help_text=_("The highest share of the parent the targets below it may add up to (%)."),
    )
    source = serializers.ChoiceField(
        choices=[("settings", "settings"), ("set", "set")],
        read_only=True,
        help_text=_(
            "`set`: the department set it in salesperf (the first of `history`); "
            "`settings`: the server's default."
        ),
    )
    history = ToleranceBandSerializer(many=True, read_only=True)


class ToleranceWriteSerializer(serializers.Serializer):
    # Numbers in the schema (not strings), so that it states the bounds; the band is
    # kept rounded half up to 2 decimals (targets.services.tolerance_set).
    min_pct = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        min_value=Decimal(50),
        max_value=Decimal(100),
        coerce_to_string=False,
        help_text=_("Rounded half up to 2 decimals."),
    )
    max_pct = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        min_value=Decimal(100),
        max_value=Decimal(200),
        coerce_to_string=False,
        help_text=_("Rounded half up to 2 decimals."),
    )
    reason = serializers.CharField(max_length=1000)

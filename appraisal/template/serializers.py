"""Input and output serializers of the appraisal templates API (/api/v1/).

Output serializers only read: they expect the querysets of `appraisal.template.api` (period,
population, dimensions with their metric and grade bands already joined or
prefetched), so a page costs a fixed number of queries. Input serializers only check
the shape of the input (types, choices, ids that exist); the rules of templates
(weights adding up to 100 %, curves, scales, grades, periods not started, published
versions never changing) are checked by `appraisal.template.services` and
`appraisal.template.domain` and come back as 400 with their message, which names the
field or the dimension.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appraisal.models import AppraisalTemplate, Dimension, GradeBand
from appraisal.template import domain
from core.errors import DomainError
from core.serializers import ReadSerializer, named_enum
from org.models import OrgUnit, Period
from org.serializers import UnitRefSerializer, UserRefSerializer, period_kind
from targets.models import Metric
from targets.serializers import MetricRefSerializer, PeriodRefSerializer

template_status = named_enum(AppraisalTemplate.Status.choices, "AppraisalTemplateStatusEnum")
dimension_method = named_enum(Dimension.Method.choices, "AppraisalDimensionMethodEnum")


CURVE_KINDS = [("linear", _("linear, with a floor and a cap")), ("steps", _("step table"))]


curve_kind = named_enum(CURVE_KINDS, "AppraisalCurveKindEnum")


def number(**kwargs):
    """A decimal number as typed; the domain says what is wrong with it."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


def plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# --- curves, scales, grades -----------------------------------------------------------------


class CurveSerializer(serializers.Serializer):
    """`linear`: floor, floor_score, target, target_score and (optional) cap;
    `steps`: rows of [threshold, score], thresholds going up."""

    kind = curve_kind()
    floor = number(required=False, help_text=_("Raw value below which the score is 0."))
    floor_score = number(required=False, help_text=_("Score at the floor."))
    target = number(required=False, help_text=_("Raw value scoring `target_score`."))
    target_score = number(required=False)
    cap = number(required=False, help_text=_("Raw value beyond which the score stops rising."))
    steps = serializers.ListField(
        child=serializers.ListField(child=number(), min_length=2, max_length=2),
        required=False,
        help_text=_("[threshold, score] rows: from this raw value on, this score."),
    )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        curve: dict = {"kind": value["kind"]}
        if value["kind"] == "steps":
            curve["steps"] = [[plain(t), plain(s)] for t, s in value.get("steps", [])]
        else:
            for part in ("floor", "floor_score", "target", "target_score", "cap"):
                if value.get(part) is not None:
                    curve[part] = plain(value[part])
        return curve


class ScaleLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1)
    score = number()
    anchor = serializers.CharField(help_text=_("What the level means, in English."))
    anchor_zh = serializers.CharField(help_text=_("What the level means, in Chinese."))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {**value, "score": plain(value["score"])}


class GradeBandSerializer(ReadSerializer):
    class Meta:
        model = GradeBand
        fields = ["grade", "min_score", "label", "label_zh"]


class GradeBandWriteSerializer(serializers.Serializer):
    grade = serializers.CharField(max_length=10)
    min_score = number()
    label = serializers.CharField(required=False, allow_blank=True, default="")
    label_zh = serializers.CharField(required=False, allow_blank=True, default="")

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {**value, "min_score": plain(value["min_score"])}


class GradesWriteSerializer(serializers.Serializer):
    grades = GradeBandWriteSerializer(many=True, allow_empty=False, min_length=1)


# --- dimensions ---------------------------------------------------------------------------


class DimensionSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    method = dimension_method(read_only=True)
    metric = MetricRefSerializer(read_only=True, allow_null=True)
    curve = serializers.JSONField(read_only=True)
    scale = serializers.JSONField(read_only=True)
    curve_description = serializers.SerializerMethodField()

    class Meta:
        model = Dimension
        fields = [
            "id",
            "template",
            "position",
            "name",
            "name_zh",
            "display_name",
            "weight",
            "method",
            "metric",
            "curve",
            "curve_description",
            "scale",
            "rated_by_peers",
            "rated_by_self",
        ]

    @extend_schema_field(serializers.CharField())
    def get_curve_description(self, dimension) -> str:
        """The curve in plain words in the reader's language ("" without a valid curve)."""
        if dimension.method == Dimension.Method.RATED or not dimension.curve:
            return ""
        unit = "" if dimension.method == Dimension.Method.SATISFACTION else "%"
        try:
            return domain.describe_curve(domain.parse_curve(dimension.curve), unit=unit)
        except DomainError:
            return ""


class DimensionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    name_zh = serializers.CharField(max_length=100)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    method = dimension_method()
    position = serializers.IntegerField(min_value=0, required=False)
    metric = serializers.PrimaryKeyRelatedField(
        queryset=Metric.objects.all(), required=False, allow_null=True
    )
    curve = CurveSerializer(required=False)
    scale = ScaleLevelSerializer(many=True, required=False)
    rated_by_peers = serializers.BooleanField(required=False)
    rated_by_self = serializers.BooleanField(required=False)


class DimensionCreateSerializer(DimensionWriteSerializer):
    template = serializers.IntegerField(help_text=_("The draft template to add it to."))


# --- templates ----------------------------------------------------------------------------


class AppraisalTemplateSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)
    period_kind = period_kind(read_only=True)
    status = template_status(read_only=True)
    applies_from = PeriodRefSerializer(read_only=True)
    units = UnitRefSerializer(many=True, read_only=True)
    published_by = UserRefSerializer(read_only=True, allow_null=True)
    dimensions = DimensionSerializer(many=True, read_only=True)
    grades = GradeBandSerializer(many=True, read_only=True)
    total_weight = serializers.SerializerMethodField()

    class Meta:
        model = AppraisalTemplate
        fields = [
            "id",
            "code",
            "version",
            "name",
            "name_zh",
            "display_name",
            "description",
            "period_kind",
            "applies_from",
            "units",
            "status",
            "published_at",
            "published_by",
            "total_weight",
            "dimensions",
            "grades",
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=7, decimal_places=2))
    def get_total_weight(self, template) -> str:
        total = sum((d.weight for d in template.dimensions.all()), Decimal(0))
        return f"{total:.2f}"


class AppraisalTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_zh = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    period_kind = period_kind()
    applies_from = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        help_text=_("The first period it applies to: one that has not started yet."),
    )
    units = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        many=True,
        allow_empty=False,
        help_text=_("The population: the salespeople in these units and below."),
    )


class AppraisalTemplateCreateSerializer(AppraisalTemplateWriteSerializer):
    code = serializers.SlugField(max_length=40)

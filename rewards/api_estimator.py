"""The what-if estimator (奖金试算) in the REST API: `/api/v1/bonus-estimate/`.

- GET `?person=&period=`: the estimate at today's figures, with each component's next
  step ("book X more to reach 100 %: the rate becomes 1.5 %").
- POST `{"person", "period", "extra": {"<metric code>": "<amount>"}}`: the same with
  those amounts more booked by the end of the period. A POST (it writes nothing) because
  the amounts are keyed by metric code: a JSON object documents them in OpenAPI, query
  parameters named after each code would not.

Access as on the page (`rewards.permissions.estimate_person_for_user`): one's own, a
supervisor's people, anyone for the department; a hidden person answers 404, HR and
administrators 403. Bad amounts answer 400 naming `extra.<metric code>`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import AUTHENTICATION, responses, validated
from org.models import Period
from org.serializers import UserRefSerializer
from rewards import estimator, permissions


def _money(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


def _pct(**kwargs):
    return serializers.DecimalField(
        max_digits=14, decimal_places=4, coerce_to_string=True, read_only=True, **kwargs
    )


class EstimateQuerySerializer(serializers.Serializer):
    person = serializers.IntegerField(
        required=False, min_value=1, help_text=_("person id (default: you)")
    )
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        required=False,
        help_text=_("period id (default: the period of the plan's kind containing today)"),
    )


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{1,9}(?:\.\d{1,2})?$", "example": "12000.00"}
)
class AmountField(serializers.CharField):
    """An amount more booked, checked by `rewards.estimator.parse_extra` (which names the
    field at fault): from 0 to 999,999,999.99, at most two decimals."""


class EstimateRequestSerializer(EstimateQuerySerializer):
    extra = serializers.DictField(
        child=AmountField(),
        required=False,
        help_text=_(
            "{metric code: amount more booked by the end of the period}, each from 0 to "
            "999999999.99, for the plan's components whose metric is higher-is-better."
        ),
    )


class NextStepSerializer(serializers.Serializer):
    attainment = _pct(
        help_text=_("The attainment (in percent) at which the component next pays at another rate.")
    )
    extra = _money(help_text=_("What must still be booked to reach it."))
    rate = _pct(
        allow_null=True,
        help_text=_("The rate from there on: payout percent per attainment percent."),
    )
    text = serializers.CharField(read_only=True)


class EstimateComponentSerializer(serializers.Serializer):
    metric = serializers.CharField(read_only=True, help_text=_("metric code"))
    metric_name = serializers.CharField(read_only=True)
    weight = _pct()
    actual = _money(allow_null=True)
    target = _money(allow_null=True)
    extra = _money()
    attainment = _pct(allow_null=True, help_text=_("today's attainment, in percent"))
    attainment_after = _pct(allow_null=True, help_text=_("the attainment with `extra`, in percent"))
    adjustable = serializers.BooleanField(
        read_only=True, help_text=_("Whether booking more raises this component's attainment.")
    )
    amount_today = _money(allow_null=True)
    amount_estimated = _money(allow_null=True)
    next_step = NextStepSerializer(allow_null=True, read_only=True)


class EstimateLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["plan_cap", "multiplier", "penalty", "gate", "adjustment"], read_only=True
    )
    key = serializers.CharField(read_only=True, help_text=_("the penalty's code, the grade"))
    amount = _money()
    text = serializers.CharField(read_only=True, help_text=_("a penalty rule's wording"))


class EstimateSerializer(serializers.Serializer):
    person = UserRefSerializer(read_only=True)
    period = serializers.IntegerField(allow_null=True, read_only=True, help_text=_("period id"))
    period_label = serializers.CharField(allow_null=True, read_only=True)
    plan = serializers.IntegerField(
        allow_null=True, read_only=True, help_text=_("the plan in force (null: none covers)")
    )
    plan_name = serializers.CharField(allow_null=True, read_only=True)
    currency = serializers.CharField(allow_null=True, read_only=True)
    figures_on = serializers.DateField(allow_null=True, read_only=True)
    grade = serializers.CharField(allow_null=True, read_only=True)
    before_grade_multiplier = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "True when the appraisal grade is not final yet: the estimate counts the grade "
            "multiplier as 1 and leaves out penalties only a grade triggers."
        ),
    )
    target_incentive = _money(allow_null=True)
    bonus_today = _money(allow_null=True)
    bonus_estimated = _money(allow_null=True)
    components = EstimateComponentSerializer(many=True, read_only=True)
    other_lines = EstimateLineSerializer(
        many=True,
        read_only=True,
        help_text=_("The estimate's lines after the components; with them they add up."),
    )


def _body(found: estimator.Estimate) -> dict:
    plan = found.plan
    return {
        "person": found.person,
        "period": found.period.pk if found.period else None,
        "period_label": found.period.label if found.period else None,
        "plan": plan.pk if plan else None,
        "plan_name": plan.display_name if plan else None,
        "currency": plan.currency if plan else None,
        "figures_on": found.day,
        "grade": found.grade,
        "before_grade_multiplier": found.before_grade,
        "target_incentive": found.incentive,
        "bonus_today": found.today.total if found.today else None,
        "bonus_estimated": found.after.total if found.after else None,
        "components": [
            {
                "metric": row.key,
                "metric_name": row.metric.display_name,
                "weight": row.weight,
                "actual": row.actual,
                "target": row.target,
                "extra": row.extra,
                "attainment": row.attainment,
                "attainment_after": row.attainment_after,
                "adjustable": row.adjustable,
                "amount_today": row.today.amount if row.today else None,
                "amount_estimated": row.after.amount if row.after else None,
                "next_step": (
                    {
                        "attainment": row.step.attainment,
                        "extra": row.step.extra,
                        "rate": row.step_rate,
                        "text": estimator.step_text(row),
                    }
                    if row.step
                    else None
                ),
            }
            for row in found.rows
        ],
        "other_lines": [
            {"kind": str(line.kind), "key": line.key, "amount": line.amount, "text": text}
            for line, text in found.others
        ],
    }


class BonusEstimateView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def _answer(self, request, data: dict) -> Response:
        person = permissions.estimate_person_for_user(request.user, data.get("person"))
        found = estimator.estimate(
            person=person,
            period=data.get("period"),
            extra={k: str(v) for k, v in (data.get("extra") or {}).items()},
        )
        return Response(EstimateSerializer(_body(found)).data)

    @extend_schema(
        tags=["rewards"],
        parameters=[EstimateQuerySerializer],
        responses=responses(EstimateSerializer),
        description=_(
            "The what-if estimate of a bonus at today's figures: the published plan in "
            "force, today's attainment, and each component's next step."
        ),
    )
    def get(self, request):
        return self._answer(
            request, validated(EstimateQuerySerializer, request, data=request.query_params)
        )

    @extend_schema(
        tags=["rewards"],
        request=EstimateRequestSerializer,
        responses=responses(EstimateSerializer),
        description=_(
            "The what-if estimate with `extra` more booked on components by the end of the "
            "period: the bonus today and with it, component by component (writes nothing)."
        ),
    )
    def post(self, request):
        return self._answer(request, validated(EstimateRequestSerializer, request))

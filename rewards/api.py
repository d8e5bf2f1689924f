"""The rewards part of the REST API under /api/v1/: `/incentive-plans/` (the plans one may
see, each explained in plain words) and `/bonus-decisions/` (the decisions one may see,
each with its working line by line; the department computes a period's, adjusts a line with
a reason and approves in bulk).

`GET /api/v1/bonus-decisions/export/?period=&unit=&format=csv|xlsx` is the payroll export
(HR and the department; `rewards.exports`): on it `format` names the file format.

Thin views: `rewards.permissions` decides (hidden: 404, forbidden: 403, anonymous: 401),
`rewards.selectors` reads, `rewards.services` writes (a broken rule answers 400 with its
message, code and field).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api import FILE_RESPONSES, ReadViewSet, listed, responses, validated
from core.filters import IdFilter
from core.permissions import require
from core.serializers import EnumField
from org.models import OrgUnit, Period
from org.permissions import visible_units
from rewards import exports, permissions, selectors, services
from rewards.models import Clawback, Decision, IncentivePlan, LineAdjustment, PromotionHold
from rewards.serializers import (
    DecisionAdjustSerializer,
    DecisionAppealSerializer,
    DecisionApproveSerializer,
    DecisionComputeSerializer,
    DecisionDetailSerializer,
    DecisionReleaseSerializer,
    DecisionResolveSerializer,
    DecisionsComputedSerializer,
    DecisionSerializer,
    HoldLiftSerializer,
    IncentivePlanDetailSerializer,
    IncentivePlanSerializer,
    PromotionHoldSerializer,
)


class PlanFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=IncentivePlan.Status.choices, label=_("status"))
    period_kind = filters.ChoiceFilter(
        choices=IncentivePlan._meta.get_field("period_kind").choices, label=_("bonus period")
    )

    class Meta:
        model = IncentivePlan
        fields = ["status", "period_kind"]


@listed(
    "rewards",
    _(
        "The incentive plans you may see: every one for the sales management department and "
        "administrators, the published ones for HR, the published ones covering your team "
        "or the units you lead otherwise."
    ),
)
class IncentivePlanViewSet(ReadViewSet):
    serializer_class = IncentivePlanSerializer
    filterset_class = PlanFilter
    search_fields = ["code", "name", "name_zh"]
    ordering_fields = ["code", "version"]
    ordering = ["code", "-version"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return IncentivePlan.objects.none()
        return permissions.visible_plans(self.request.user).select_related(
            "applies_from__fiscal_year"
        )

    @extend_schema(
        responses=responses(IncentivePlanDetailSerializer, invalid=False, forbidden=False),
        description=_("One plan with its components, multipliers and penalties, in plain words."),
    )
    def retrieve(self, request, pk=None):
        plan = permissions.plan_for_user(request.user, pk)
        plan = selectors.with_parts(IncentivePlan.objects.filter(pk=plan.pk)).get()
        plan.explained = selectors.explain_plan(plan)
        return Response(IncentivePlanDetailSerializer(plan).data)


class DecisionFilter(filters.FilterSet):
    period = IdFilter(field_name="period_id", label=_("period id"))
    unit = IdFilter(field_name="unit_id", label=_("team id"))
    person = IdFilter(field_name="person_id", label=_("person id"))
    status = filters.ChoiceFilter(choices=Decision.Status.choices, label=_("status"))

    class Meta:
        model = Decision
        fields = ["period", "unit", "person", "status"]


class PayrollQuerySerializer(serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        required=False,
        help_text=_("Only the decisions of this period (every period without it)."),
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Only the decisions of teams in this unit's subtree."),
    )
    format = EnumField(
        [("csv", "CSV"), ("xlsx", "XLSX")],
        enum_name="PayrollFileFormatEnum",
        default="csv",
        help_text=_("csv (UTF-8 with a byte order mark) or xlsx."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["unit"].queryset = visible_units(request.user)

    def filters(self) -> exports.PayrollFilters:
        data = self.validated_data
        return exports.PayrollFilters(period=data.get("period"), unit=data.get("unit"))


@listed(
    "rewards",
    _(
        "The bonus decisions you may see: every one for the sales management department; "
        "from approval on for HR; those of the people in the units you lead; your own once "
        "released."
    ),
)
class DecisionViewSet(ReadViewSet):
    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    search_fields: list[str] = []
    ordering_fields = ["total", "computed_at"]
    ordering = ["period_id", "unit_id", "person_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Decision.objects.none()
        return selectors.with_current_total(
            permissions.visible_decisions(self.request.user).select_related(
                "person", "unit", "period__fiscal_year"
            )
        )

    def perform_content_negotiation(self, request, force=False):
        # On the export, `?format=` names the file format, not a renderer; the file is
        # returned as it is and any error answers JSON.
        if self.action == "export":
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def _detail(self, decision: Decision):
        plan = selectors.with_parts(IncentivePlan.objects.filter(pk=decision.plan_id)).get()
        decision.adjustment_rows = list(
            LineAdjustment.objects.filter(decision=decision).select_related("adjusted_by")
        )
        decision.version_rows = list(decision.versions.select_related("created_by"))
        current = decision.version_rows[-1] if decision.version_rows else None
        decision.total_now = current.total if current is not None else decision.total
        clawbacks = list(
            Clawback.objects.filter(period_id=decision.period_id, person_id=decision.person_id)
        )
        decision.lines = [
            {**row, "key": row["line"]["key"], "tier": row.get("tier"), "text": row.get("text", "")}
            for row in selectors.explain_lines(
                decision,
                plan,
                decision.adjustment_rows,
                clawbacks,
                working=current.working if current is not None else None,
            )
        ]
        return DecisionDetailSerializer(decision).data

    @extend_schema(
        responses=responses(DecisionDetailSerializer, invalid=False, forbidden=False),
        description=_(
            "One decision with its working line by line (they add up to the total), its "
            "adjustments with their reasons and its approved versions."
        ),
    )
    def retrieve(self, request, pk=None):
        return Response(self._detail(permissions.decision_for_user(request.user, pk)))

    @extend_schema(
        request=DecisionComputeSerializer,
        responses=responses(DecisionsComputedSerializer, not_found=False),
        description=_(
            "Compute the decisions of a period now (sales management department): one per "
            "person a published plan covers; approved ones are left as they are."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def compute(self, request):
        require(permissions.can_manage(request.user))
        data = validated(DecisionComputeSerializer, request)
        count = services.decisions_compute(period=data["period"], acting_user=request.user)
        return Response({"computed": count})

    @extend_schema(
        request=DecisionAdjustSerializer,
        responses=responses(DecisionDetailSerializer),
        description=_(
            "Change one line of a proposed decision, with a reason (sales management "
            "department): the change is its own line of the working."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def adjust(self, request, pk=None):
        decision = permissions.decision_for_user(request.user, pk)
        require(permissions.can_manage(request.user))
        data = validated(DecisionAdjustSerializer, request)
        services.decision_adjust(
            decision=decision,
            line=data["line"],
            amount=data["amount"],
            reason=data["reason"],
            acting_user=request.user,
        )
        return Response(self._detail(permissions.decision_for_user(request.user, pk)))

    @extend_schema(
        request=DecisionApproveSerializer,
        responses=responses(DecisionSerializer(many=True), not_found=False),
        description=_(
            "Approve proposed decisions in bulk (sales management department): each is fixed "
            "from then on. Nobody approves a decision they adjusted themselves."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def approve(self, request):
        require(permissions.can_manage(request.user))
        data = validated(DecisionApproveSerializer, request)
        chosen = data["decisions"]
        services.decisions_approve(decisions=chosen, acting_user=request.user)
        rows = self.get_queryset().filter(pk__in=[d.pk for d in chosen])
        return Response(DecisionSerializer(rows, many=True).data)

    @extend_schema(
        request=DecisionReleaseSerializer,
        responses=responses(DecisionSerializer(many=True), not_found=False),
        description=_(
            "Release approved decisions to their people (sales management department): each "
            "person is told in the app and by e-mail, and may acknowledge or appeal within "
            "REWARDS_APPEAL_DAYS."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def release(self, request):
        require(permissions.can_manage(request.user))
        data = validated(DecisionReleaseSerializer, request)
        chosen = data["decisions"]
        services.decisions_release(decisions=chosen, acting_user=request.user)
        rows = self.get_queryset().filter(pk__in=[d.pk for d in chosen])
        return Response(DecisionSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses=responses(DecisionDetailSerializer),
        description=_("Acknowledge your released decision."),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def acknowledge(self, request, pk=None):
        decision = permissions.decision_for_user(request.user, pk)
        services.decision_acknowledge(decision=decision, acting_user=request.user)
        return Response(self._detail(permissions.decision_for_user(request.user, pk)))

    @extend_schema(
        request=DecisionAppealSerializer,
        responses=responses(DecisionDetailSerializer),
        description=_(
            "Appeal your released decision with your reasons, within REWARDS_APPEAL_DAYS of "
            "its release; the department is told."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def appeal(self, request, pk=None):
        decision = permissions.decision_for_user(request.user, pk)
        data = validated(DecisionAppealSerializer, request)
        services.decision_appeal(decision=decision, reason=data["reason"], acting_user=request.user)
        return Response(self._detail(permissions.decision_for_user(request.user, pk)))

    @extend_schema(
        request=DecisionResolveSerializer,
        responses=responses(DecisionDetailSerializer),
        description=_(
            "Resolve an appeal (sales management department): upheld, or changed by an "
            "amount, which records the next version of the decision with the reason; the "
            "earlier versions stay. The person is told."
        ),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resolve(self, request, pk=None):
        decision = permissions.decision_for_user(request.user, pk)
        require(permissions.can_manage(request.user))
        data = validated(DecisionResolveSerializer, request)
        services.appeal_resolve(
            decision=decision,
            outcome=data["outcome"],
            reason=data["reason"],
            amount=data.get("amount") if data["outcome"] == "changed" else None,
            acting_user=request.user,
        )
        return Response(self._detail(permissions.decision_for_user(request.user, pk)))

    @extend_schema(
        parameters=[PayrollQuerySerializer],
        responses=FILE_RESPONSES,
        description=_(
            "The payroll export (HR and the sales management department): the decisions "
            "from approval on, each with the figures of its current version, as a CSV or "
            "XLSX file. Columns: employee number, name, unit, period, currency, bonus "
            "before penalties, penalties, adjustments (clawbacks and appeal changes "
            "included), bonus (these add up), version, promotion hold until, approved at."
        ),
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[JSONRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def export(self, request):
        require(permissions.can_export(request.user))
        query = PayrollQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        return exports.export_response(
            request.user, query.filters(), query.validated_data["format"]
        )


@listed(
    "rewards",
    _(
        "Promotion holds: every one for the sales management department and HR; those of "
        "the people in the units you lead; your own."
    ),
)
class PromotionHoldViewSet(ReadViewSet):
    serializer_class = PromotionHoldSerializer
    filter_backends = []
    ordering = ["-starts_on", "pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromotionHold.objects.none()
        return (
            permissions.visible_holds(self.request.user)
            .select_related("person", "lifted_by")
            .order_by("-starts_on", "pk")
        )

    @extend_schema(
        request=HoldLiftSerializer,
        responses=responses(PromotionHoldSerializer),
        description=_("Lift a promotion hold early, with a reason (sales management department)."),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def lift(self, request, pk=None):
        hold = permissions.hold_for_user(request.user, pk)
        require(permissions.can_manage(request.user))
        data = validated(HoldLiftSerializer, request)
        services.hold_lift(hold=hold, reason=data["reason"], acting_user=request.user)
        return Response(self.fresh(hold.pk))


def register(router) -> None:
    router.register("incentive-plans", IncentivePlanViewSet, basename="api-incentive-plan")
    router.register("bonus-decisions", DecisionViewSet, basename="api-bonus-decision")
    router.register("promotion-holds", PromotionHoldViewSet, basename="api-promotion-hold")

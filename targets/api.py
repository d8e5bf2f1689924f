"""The targets part of the REST API under /api/v1/: metrics, seasonality profiles,
targets (set, cascade, allocate, publish, acknowledge), adjustments and personal
sales plans.

Thin views, the same plumbing as `org.api`: `targets.permissions` decides who sees
and does what, `targets.services` writes (a broken rule, `DomainError`, answers 400
with its message and writes nothing), explicit input and output serializers.

Access, in words:
- a hidden object answers 404 (the same as a missing one). That includes the
  owner of a target being set: a unit or person the user cannot see (for a
  supervisor: anyone outside their subtree) answers 404;
- a visible object with a forbidden action answers 403;
- a change the user may make in principle but not in this state (a published
  target's value, a draft target's adjustment, a closed period) answers 400 with
  the service's message: "may change a target" is `can_edit_target` (a draft) or
  `can_request_adjustment` (a published one);
- anonymous requests answer 401.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.api import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    ReadViewSet,
    listed,
    responses,
    validated,
)
from core.permissions import require
from org import permissions as org_permissions
from targets import cascade_planner, permissions, selectors, services
from targets.filters import AdjustmentFilter, TargetFilter
from targets.models import (
    Target,
)
from targets.serializers import (
    AdjustmentDecisionSerializer,
    AdjustmentRequestSerializer,
    AdjustmentSerializer,
    AllocationSubmitSerializer,
    CascadeResultSerializer,
    CascadeSerializer,
    DecisionSerializer,
    PlannedTargetSerializer,
    PublicationProblemsSerializer,
    PublicationRefusedSerializer,
    PublishedSerializer,
    PublishSerializer,
    TargetSerializer,
    TargetSetSerializer,
    TargetValueSerializer,
)

DEPARTMENT_ONLY = _("Sales management department only.")


def may_change(user, target: Target) -> bool:
    """The user may change this target by some route: directly while it is a draft, by
    an adjustment once it is published. The wrong route for its state is the
    service's 400, not a 403."""
    return permissions.can_edit_target(user, target) or permissions.can_request_adjustment(
        user, target
    )


# --- metrics -------------------------------------------------------------------------------


# --- seasonality profiles ------------------------------------------------------------------


# --- targets ---------------------------------------------------------------------------------


@listed(
    "targets",
    _(
        "Targets you may see: a salesperson their own published targets; a supervisor "
        "every target (draft or published) of the units they lead and below and of the "
        "people in them; the department all; HR none."
    ),
)
class TargetViewSet(ReadViewSet):
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    search_fields = ["metric__code", "unit__code", "unit__name", "person__username"]
    ordering_fields = ["value", "status", "period__start_date", "metric__position"]
    ordering = [*selectors.TARGET_ORDER, "pk"]

    def get_queryset(self):
        return selectors.targets_for_api(self.request.user)

    def _target(self, pk) -> Target:
        return permissions.target_for_user(self.request.user, pk)

    @extend_schema(
        request=TargetSetSerializer,
        responses={
            200: OpenApiResponse(TargetSerializer, description=_("An existing draft changed.")),
            201: OpenApiResponse(TargetSerializer, description=_("A new draft target.")),
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=_(
            "Set the draft value of the target of a metric, a period and an owner (a unit "
            "or a person's part in a team), creating it if needed. The department sets any "
            "target; a supervisor the targets of the people of the teams they lead. An owner you "
            "cannot see (for a supervisor: outside their subtree) answers 404, one you see "
            "but may not set 403. A published target changes only by an adjustment (400)."
        ),
    )
    def create(self, request):
        user = request.user
        data = validated(TargetSetSerializer, request)
        unit = person = team = None
        if data.get("unit") is not None:
            unit = org_permissions.unit_for_user(user, data["unit"])
        else:
            person = org_permissions.person_for_user(user, data["person"])
            if data.get("team") is not None:
                team = org_permissions.unit_for_user(user, data["team"])
        target = selectors.would_be_target(
            metric=data["metric"], period=data["period"], unit=unit, person=person, team=team
        )
        require(may_change(user, target))
        saved = services.target_set(
            metric=data["metric"],
            period=data["period"],
            value=data["value"],
            unit=unit,
            person=person,
            team=team,
            acting_user=user,
        )
        code = status.HTTP_200_OK if target.pk else status.HTTP_201_CREATED
        return Response(self.fresh(saved.pk), status=code)

    @extend_schema(
        request=TargetValueSerializer,
        responses=responses(TargetSerializer),
        description=_("Change the value of a draft target (as for setting one)."),
    )
    def partial_update(self, request, pk=None):
        target = self._target(pk)
        require(may_change(request.user, target))
        data = validated(TargetValueSerializer, request)
        services.target_set(
            metric=target.metric,
            period=target.period,
            value=data["value"],
            unit=target.unit,
            person=target.person,
            team=target.team if target.person_id else None,
            acting_user=request.user,
        )
        return Response(self.fresh(target.pk))

    @extend_schema(
        request=None,
        responses=responses(TargetSerializer),
        description=_(
            "Acknowledge a published target: its owner (a person's own target; a unit's "
            "target by its supervisor)."
        ),
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        target = self._target(pk)
        awaiting = target.is_published and target.acknowledged_at is None
        if awaiting:
            require(permissions.can_acknowledge(request.user, target))
        services.target_acknowledge(target=target, acting_user=request.user)
        return Response(self.fresh(target.pk))

    @extend_schema(
        request=CascadeSerializer,
        responses=responses(CascadeResultSerializer),
        description=_(
            "Cascade a target (sales management department): `org` splits it one level down "
            "the organisation by an allocation method, `time` splits an annual target into "
            "quarters and months by a seasonality profile, `down` does both all the way to "
            "every person and month (with a method and weights for the first level, as the "
            "workspace takes them). With `preview: true` the planned rows come back and "
            "nothing is written."
        ),
    )
    @action(detail=True, methods=["post"])
    def cascade(self, request, pk=None):
        target = self._target(pk)
        require(permissions.can_manage_targets(request.user))
        data = validated(CascadeSerializer, request)
        mode, profile = data["mode"], data["profile"]
        method, weights = data.get("method"), data["weights"]
        if data["preview"]:
            if mode == "org":
                rows = cascade_planner.plan_org_split(target, method=method, weights=weights)
            elif mode == "time":
                rows = cascade_planner.plan_time_split(target, profile=profile)
            else:
                rows = cascade_planner.plan_cascade_down(
                    target, profile, method=method, weights=weights
                )
            return Response(
                {
                    "preview": True,
                    "count": len(rows),
                    "rows": PlannedTargetSerializer(rows, many=True).data,
                }
            )
        if mode == "org":
            count = services.cascade_org(
                target=target, method=method, weights=weights, acting_user=request.user
            )
        elif mode == "time":
            count = services.cascade_time(target=target, profile=profile, acting_user=request.user)
        else:
            count = services.cascade_down(
                target=target,
                profile=profile,
                method=method,
                weights=weights,
                acting_user=request.user,
            )
        return Response({"preview": False, "count": count, "rows": []})

    @extend_schema(
        request=AllocationSubmitSerializer,
        responses=responses(TargetSerializer),
        description=_(
            "Submit a team's allocation to its members (a supervisor of the team or above). "
            "The members' targets must add up to within the tolerance, else 400."
        ),
    )
    @action(detail=True, methods=["post"], url_path="submit-allocation")
    def submit_allocation(self, request, pk=None):
        target = self._target(pk)
        require(permissions.can_submit_allocation(request.user, target))
        data = validated(AllocationSubmitSerializer, request)
        services.allocation_submit(target=target, comment=data["comment"], acting_user=request.user)
        return Response(self.fresh(target.pk))

    @extend_schema(
        request=DecisionSerializer,
        responses=responses(TargetSerializer),
        description=_(
            "Approve or return a submitted allocation (sales management department); "
            "returning needs a comment."
        ),
    )
    @action(detail=True, methods=["post"], url_path="decide-allocation")
    def decide_allocation(self, request, pk=None):
        target = self._target(pk)
        require(permissions.can_decide_allocation(request.user, target))
        data = validated(DecisionSerializer, request)
        services.allocation_decide(
            target=target,
            approve=data["approve"],
            comment=data["comment"],
            acting_user=request.user,
        )
        return Response(self.fresh(target.pk))

    @extend_schema(
        request=PublishSerializer,
        responses={
            200: PublishedSerializer,
            400: OpenApiResponse(
                PublicationRefusedSerializer,
                description=_("Invalid input, or every problem that stops the publication."),
            ),
            403: FORBIDDEN,
        },
        description=_(
            "Publish every draft target of a metric in a fiscal year (sales management "
            "department). Refused with the list of problems (children outside the "
            "tolerance, allocations waiting, periods not open); the owners are notified."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request):
        require(permissions.can_manage_targets(request.user))
        data = validated(PublishSerializer, request)
        metric, fiscal_year = data["metric"], data["fiscal_year"]
        count = services.targets_publish(
            metric=metric, fiscal_year_id=fiscal_year.pk, acting_user=request.user
        )
        return Response({"count": count})

    @extend_schema(
        parameters=[PublishSerializer],
        responses=responses(PublicationProblemsSerializer, not_found=False),
        description=_(
            "What stops the publication of a metric's targets in a fiscal year (sales "
            "management department); an empty list means it can be published."
        ),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="publication-problems",
        filter_backends=[],
        pagination_class=None,
    )
    def publication_problems(self, request):
        require(permissions.can_manage_targets(request.user))
        data = validated(PublishSerializer, request, data=request.query_params)
        problems = services.publication_problems(
            metric=data["metric"], fiscal_year_id=data["fiscal_year"].pk
        )
        return Response({"publishable": not problems, "problems": problems})


# --- adjustments ---------------------------------------------------------------------------


@listed("adjustments", _("Adjustments of the targets you may see, newest first."))
class AdjustmentViewSet(ReadViewSet):
    serializer_class = AdjustmentSerializer
    filterset_class = AdjustmentFilter
    search_fields = ["reason"]
    ordering_fields = ["requested_at", "decided_at", "status"]
    ordering = ["-requested_at", "-pk"]

    def get_queryset(self):
        return selectors.adjustments_for_api(self.request.user)

    @extend_schema(
        request=AdjustmentRequestSerializer,
        responses=responses(AdjustmentSerializer, 201),
        description=_(
            "Ask to change a published target (the department, or a supervisor of its unit "
            "or team): new value, kind, reason (required) and the period it takes effect in. "
            "Months that are closing or closed never change: an effective period that starts "
            "before the first month still open answers 400 with the message under "
            "`effective_period` and that month's id as `first_allowed_period` (null when no "
            "month can change any more)."
        ),
    )
    def create(self, request):
        data = validated(AdjustmentRequestSerializer, request)
        target = permissions.target_for_user(request.user, data["target"])
        require(may_change(request.user, target))
        adjustment = services.adjustment_request(
            target=target,
            new_value=data["new_value"],
            kind=data["kind"],
            reason=data["reason"],
            effective_period=data["effective_period"],
            acting_user=request.user,
        )
        return Response(self.fresh(adjustment.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AdjustmentDecisionSerializer,
        responses=responses(AdjustmentSerializer),
        description=_(
            "Approve (the target changes, history kept) or reject (a note is required) an "
            "adjustment (sales management department)."
        ),
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        adjustment = get_object_or_404(self.get_queryset(), pk=pk)
        require(permissions.can_manage_targets(request.user))
        data = validated(AdjustmentDecisionSerializer, request)
        services.adjustment_decide(
            adjustment=adjustment,
            approve=data["approve"],
            note=data["note"],
            acting_user=request.user,
        )
        return Response(self.fresh(adjustment.pk))


# --- personal sales plans --------------------------------------------------------------------


# --- the tolerance band --------------------------------------------------------------------


def register(router) -> None:
    router.register("targets", TargetViewSet, basename="api-target")
    router.register("adjustments", AdjustmentViewSet, basename="api-adjustment")

"""The personal sales plans API (/api/v1/plans/): thin, through the plans' permissions,
selectors and services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import (
    ReadViewSet,
    listed,
    responses,
    validated,
)
from core.permissions import require
from targets.models import SalesPlan
from targets.plans import permissions as plan_permissions
from targets.plans import selectors as plan_selectors
from targets.plans import services as plan_services
from targets.plans.filters import SalesPlanFilter
from targets.plans.permissions import may_review
from targets.plans.serializers import (
    PlanReviewSerializer,
    SalesPlanSerializer,
    SalesPlanWriteSerializer,
)


@listed(
    "sales plans",
    _(
        "Personal sales plans you may see (your own; a supervisor also their people's; "
        "the department all), each with its versions, newest first."
    ),
)
class SalesPlanViewSet(ReadViewSet):
    serializer_class = SalesPlanSerializer
    filterset_class = SalesPlanFilter
    ordering_fields = ["updated_at", "period__start_date", "status"]
    ordering = ["-period__start_date", "person__username", "pk"]

    def get_queryset(self):
        return plan_selectors.plans_for_api(self.request.user)

    def _plan(self, pk) -> SalesPlan:
        return plan_permissions.plan_for_user(self.request.user, pk)

    @extend_schema(
        request=SalesPlanWriteSerializer,
        responses=responses(SalesPlanSerializer, forbidden=False, not_found=False),
        description=_(
            "Write your own plan for a period: creates it, or rewrites its working version "
            "(after a return, a new version; reviewed versions are kept)."
        ),
    )
    def create(self, request):
        data = validated(SalesPlanWriteSerializer, request)
        plan = plan_services.plan_save(person=request.user, acting_user=request.user, **data)
        return Response(self.fresh(plan.pk))

    @extend_schema(
        request=None,
        responses=responses(SalesPlanSerializer),
        description=_("Submit your own draft plan to your supervisor."),
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        plan = self._plan(pk)
        # Only the author submits; the plan's state is the service's to check.
        require(plan.person_id == request.user.pk)
        plan_services.plan_submit(plan=plan, acting_user=request.user)
        return Response(self.fresh(plan.pk))

    @extend_schema(
        request=PlanReviewSerializer,
        responses=responses(SalesPlanSerializer),
        description=_(
            "Approve or return (with a comment) a submitted plan: the person's supervisor "
            "or the department, never its author."
        ),
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        plan = self._plan(pk)
        require(may_review(request.user, plan))
        data = validated(PlanReviewSerializer, request)
        plan_services.plan_review(
            plan=plan,
            approve=data["approve"],
            comment=data["comment"],
            acting_user=request.user,
        )
        return Response(self.fresh(plan.pk))


def register(router) -> None:
    router.register("plans", SalesPlanViewSet, basename="api-plan")

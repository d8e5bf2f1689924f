"""The progress report and customer satisfaction part of the REST API under /api/v1/.

Thin views with the same plumbing as `org.api` and `targets.api`:
`sales.feedback.permissions` decides who sees and does what, the same services as
the pages write (`DomainError` answers 400 with its message, nothing written).

- `/progress-reports/`: your own reports; a supervisor also the submitted reports of
  the people of the units they lead (and below); the department every submitted
  one; HR none. Create/update/submit your own; comment as a supervisor or the
  department (locks the report). Opening one as its supervisor marks it read.
- `/satisfaction-responses/`: the responses you may see (yourself; a supervisor
  their people; the department all); create one as the department or a supervisor
  (never about yourself); `bulk/` upserts many by external id (department);
  `averages/` the average per person over a period.

A hidden object answers 404, a visible one with a forbidden action 403, anonymous
requests 401.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.api import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    ApiViewSet,
    ReadViewSet,
    listed,
    responses,
    validated,
)
from core.permissions import require
from org import permissions as org_permissions
from org.models import Period
from sales.feedback import permissions, selectors, services
from sales.feedback.filters import ProgressReportFilter, SatisfactionFilter
from sales.feedback.serializers import (
    ProgressReportCommentSerializer,
    ProgressReportSerializer,
    ProgressReportWriteSerializer,
    SatisfactionAverageSerializer,
    SatisfactionAveragesQuerySerializer,
    SatisfactionBulkRefusedSerializer,
    SatisfactionBulkResultSerializer,
    SatisfactionBulkSerializer,
    SatisfactionResponseSerializer,
    SatisfactionWriteSerializer,
)
from sales.models import ProgressReport, SatisfactionResponse

# --- progress reports -------------------------------------------------------------------------


@listed(
    "progress reports",
    _(
        "Progress reports you may see: your own (drafts too); a supervisor also the "
        "submitted reports of the people of the units they lead and below; the "
        "department every submitted report; HR none."
    ),
)
class ProgressReportViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilter
    search_fields = ["person__username", "progress", "customer_feedback", "problems"]
    ordering_fields = ["period_start", "submitted_at"]
    ordering = ["-period_start", "person__username", "pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ProgressReport.objects.none()
        return permissions.visible_reports(self.request.user).select_related(
            "person", "commented_by"
        )

    @extend_schema(
        responses=responses(ProgressReportSerializer, invalid=False, forbidden=False),
        description=_("One report. Opening it as the author's supervisor marks it read."),
    )
    def retrieve(self, request, pk=None):
        report = permissions.report_for_user(request.user, pk)
        if permissions.supervises_report(request.user, report):
            services.report_mark_read(report=report, acting_user=request.user)
        return Response(self.output(report))

    @extend_schema(
        request=ProgressReportWriteSerializer,
        responses={
            200: OpenApiResponse(ProgressReportSerializer, description=_("Rewritten.")),
            201: OpenApiResponse(ProgressReportSerializer, description=_("Created.")),
            400: INVALID,
            403: FORBIDDEN,
        },
        description=_(
            "Write your own report for a period (the current one by default, or the "
            "previous one during its grace), as a draft or with `submit: true`. Writing "
            "again rewrites it; a commented report is locked (400). Salespeople only."
        ),
    )
    def create(self, request):
        user = request.user
        require(permissions.can_write_reports(user))
        data = validated(ProgressReportWriteSerializer, request)
        existed = set(ProgressReport.objects.filter(person=user).values_list("pk", flat=True))
        report = services.report_save(person=user, acting_user=user, **data)
        code = status.HTTP_200_OK if report.pk in existed else status.HTTP_201_CREATED
        return Response(self.fresh(report.pk), status=code)

    @extend_schema(
        request=ProgressReportWriteSerializer(partial=True),
        responses=responses(ProgressReportSerializer),
        description=_(
            "Change your own report (the fields given); a submitted one until it is "
            "commented on. `submit: true` submits a draft."
        ),
    )
    def partial_update(self, request, pk=None):
        report = permissions.report_for_user(request.user, pk)
        require(permissions.can_edit_report(request.user, report))
        serializer = ProgressReportWriteSerializer(
            data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        values = {name: data.get(name, getattr(report, name)) for name in services.TEXT_FIELDS}
        services.report_save(
            person=request.user,
            period_start=report.period_start,
            submit=data.get("submit", False),
            acting_user=request.user,
            **values,
        )
        return Response(self.fresh(report.pk))

    @extend_schema(
        request=None,
        responses=responses(ProgressReportSerializer),
        description=_("Submit your own draft report to your supervisor."),
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = permissions.report_for_user(request.user, pk)
        require(permissions.can_edit_report(request.user, report))
        services.report_submit(report=report, acting_user=request.user)
        return Response(self.fresh(report.pk))

    @extend_schema(
        request=ProgressReportCommentSerializer,
        responses=responses(ProgressReportSerializer),
        description=_(
            "Comment on a submitted report: a supervisor of its author, or the department. "
            "The author is told, and can no longer change the report."
        ),
    )
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        report = permissions.report_for_user(request.user, pk)
        require(permissions.can_comment(request.user, report))
        data = validated(ProgressReportCommentSerializer, request)
        services.report_comment(report=report, comment=data["comment"], acting_user=request.user)
        return Response(self.fresh(report.pk))


# --- satisfaction -------------------------------------------------------------------------------


@listed(
    "customer satisfaction",
    _(
        "Satisfaction responses you may see: about yourself; a supervisor about the "
        "people of the units they lead (on the day the customer answered); the "
        "department all; HR none."
    ),
)
class SatisfactionResponseViewSet(ReadViewSet):
    serializer_class = SatisfactionResponseSerializer
    filterset_class = SatisfactionFilter
    search_fields = ["customer__name", "salesperson__username", "comment"]
    ordering_fields = ["answered_on", "score"]
    ordering = ["-answered_on", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return SatisfactionResponse.objects.none()
        return permissions.visible_satisfaction(self.request.user).select_related(
            "customer", "salesperson", "period__fiscal_year", "entered_by"
        )

    @extend_schema(
        request=SatisfactionWriteSerializer,
        responses={
            200: OpenApiResponse(
                SatisfactionResponseSerializer,
                description=_("The response with this external id, updated."),
            ),
            201: OpenApiResponse(SatisfactionResponseSerializer, description=_("Created.")),
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=_(
            "Record a customer's answer about a salesperson: the department, or a "
            "supervisor of the salesperson's team on that day (nobody about themselves). "
            "A person you cannot see answers 404; a date in a closing or closed month 400."
        ),
    )
    def create(self, request):
        user = request.user
        require(permissions.can_enter_satisfaction(user))
        data = validated(SatisfactionWriteSerializer, request)
        salesperson = org_permissions.person_for_user(user, data.pop("salesperson"))
        require(permissions.can_enter_satisfaction_for(user, salesperson, data["answered_on"]))
        external_id = (data.get("external_id") or "").strip()
        existed = bool(external_id) and (
            SatisfactionResponse.objects.filter(external_id=external_id).exists()
        )
        response = services.satisfaction_save(salesperson=salesperson, acting_user=user, **data)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.fresh(response.pk), status=code)

    @extend_schema(
        request=SatisfactionBulkSerializer,
        responses={
            200: SatisfactionBulkResultSerializer,
            400: OpenApiResponse(
                SatisfactionBulkRefusedSerializer,
                description=_("Some rows are wrong: each is named; nothing was written."),
            ),
            403: FORBIDDEN,
        },
        description=_(
            "Add or update many responses at once (sales management department), "
            "idempotent by external id: the same id again updates that response. The "
            "whole request is checked first; any wrong row refuses it all."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        user = request.user
        require(permissions.can_import_satisfaction(user))
        data = validated(SatisfactionBulkSerializer, request)
        counts = services.satisfaction_bulk_upsert(data["rows"], acting_user=user)
        return Response(counts)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description=_("A fiscal period id.")),
            OpenApiParameter("start", OpenApiTypes.DATE, description=_("First day.")),
            OpenApiParameter("end", OpenApiTypes.DATE, description=_("Last day.")),
            OpenApiParameter("unit", int, description=_("Members of this unit's subtree.")),
            OpenApiParameter("person", int, description=_("One salesperson's id.")),
        ],
        responses=responses(SatisfactionAverageSerializer(many=True), forbidden=False),
        description=_(
            "The average score (2 decimals, half up) and the number of responses per "
            "salesperson over a fiscal period or a date range, among the responses you "
            "may see."
        ),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def averages(self, request):
        user = request.user
        require(permissions.can_see_satisfaction(user))
        query = SatisfactionAveragesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        start, end = params.get("start"), params.get("end")
        if params.get("period") is not None:
            period = get_object_or_404(Period, pk=params["period"])
            start, end = period.start_date, period.end_date
        unit = person = None
        if params.get("unit") is not None:
            unit = org_permissions.unit_for_user(user, params["unit"])
        if params.get("person") is not None:
            person = org_permissions.person_for_user(user, params["person"])
        found = selectors.satisfaction_averages(
            selectors.satisfaction_for(user, start=start, end=end, unit=unit, person=person)
        )
        return Response(
            SatisfactionAverageSerializer(
                [{"person": a.person, "average": a.average, "count": a.count} for a in found],
                many=True,
            ).data
        )


def register(router) -> None:
    router.register("progress-reports", ProgressReportViewSet, basename="api-progress-report")
    router.register(
        "satisfaction-responses", SatisfactionResponseViewSet, basename="api-satisfaction"
    )

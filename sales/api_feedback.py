"""The progress report and customer satisfaction part of the REST API under /api/v1/.

Thin views with the same plumbing as `org.api` and `targets.api`:
`sales.permissions_feedback` decides who sees and does what, the same services as
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
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
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
    domain_errors,
    error_response,
    validated,
)
from core.imports import RowsRefused
from core.permissions import require
from org import permissions as org_permissions
from org.filters import IdFilter
from org.models import Period
from sales import permissions_feedback as permissions
from sales import selectors_feedback as selectors
from sales import services_feedback as services
from sales.models import ProgressReport, SatisfactionResponse
from sales.serializers_feedback import (
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

# --- progress reports -------------------------------------------------------------------------


class ProgressReportFilter(filters.FilterSet):
    person = IdFilter(field_name="person_id", label=_("person id"))
    frequency = filters.ChoiceFilter(choices=ProgressReport.Frequency.choices, label=_("frequency"))
    period_start = filters.DateFilter(label=_("first day of the period"))
    since = filters.DateFilter(
        field_name="period_start", lookup_expr="gte", label=_("periods starting on or after")
    )
    until = filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("periods starting on or before")
    )
    submitted = filters.BooleanFilter(
        field_name="submitted_at",
        lookup_expr="isnull",
        exclude=True,
        label=_("true: submitted ones; false: drafts"),
    )

    class Meta:
        model = ProgressReport
        fields = ["person", "frequency", "period_start", "since", "until", "submitted"]


@extend_schema_view(
    list=extend_schema(
        description=_(
            "Progress reports you may see: your own (drafts too); a supervisor also the "
            "submitted reports of the people of the units they lead and below; the "
            "department every submitted report; HR none."
        )
    ),
)
@extend_schema(tags=["progress reports"])
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

    def _fresh(self, pk):
        return self.output(self.get_queryset().get(pk=pk))

    @extend_schema(
        responses={200: ProgressReportSerializer, 404: NOT_FOUND},
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
        with domain_errors():
            report = services.report_save(person=user, acting_user=user, **data)
        code = status.HTTP_200_OK if report.pk in existed else status.HTTP_201_CREATED
        return Response(self._fresh(report.pk), status=code)

    @extend_schema(
        request=ProgressReportWriteSerializer(partial=True),
        responses={200: ProgressReportSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
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
        with domain_errors():
            services.report_save(
                person=request.user,
                period_start=report.period_start,
                submit=data.get("submit", False),
                acting_user=request.user,
                **values,
            )
        return Response(self._fresh(report.pk))

    @extend_schema(
        request=None,
        responses={200: ProgressReportSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
        description=_("Submit your own draft report to your supervisor."),
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = permissions.report_for_user(request.user, pk)
        require(permissions.can_edit_report(request.user, report))
        with domain_errors():
            services.report_submit(report=report, acting_user=request.user)
        return Response(self._fresh(report.pk))

    @extend_schema(
        request=ProgressReportCommentSerializer,
        responses={200: ProgressReportSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
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
        with domain_errors():
            services.report_comment(
                report=report, comment=data["comment"], acting_user=request.user
            )
        return Response(self._fresh(report.pk))


# --- satisfaction -------------------------------------------------------------------------------


class SatisfactionFilter(filters.FilterSet):
    salesperson = IdFilter(field_name="salesperson_id", label=_("salesperson id"))
    customer = IdFilter(field_name="customer_id", label=_("customer id"))
    period = IdFilter(field_name="period_id", label=_("month period id"))
    answered_from = filters.DateFilter(
        field_name="answered_on", lookup_expr="gte", label=_("answered on or after")
    )
    answered_to = filters.DateFilter(
        field_name="answered_on", lookup_expr="lte", label=_("answered on or before")
    )
    score = filters.NumberFilter(label=_("score"))
    external_id = filters.CharFilter(label=_("external id"))

    class Meta:
        model = SatisfactionResponse
        fields = [
            "salesperson",
            "customer",
            "period",
            "answered_from",
            "answered_to",
            "score",
            "external_id",
        ]


@extend_schema_view(
    list=extend_schema(
        description=_(
            "Satisfaction responses you may see: about yourself; a supervisor about the "
            "people of the units they lead (on the day the customer answered); the "
            "department all; HR none."
        )
    ),
    retrieve=extend_schema(responses={200: SatisfactionResponseSerializer, 404: NOT_FOUND}),
)
@extend_schema(tags=["customer satisfaction"])
class SatisfactionResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
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
        with domain_errors():
            response = services.satisfaction_save(salesperson=salesperson, acting_user=user, **data)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.output(self.get_queryset().get(pk=response.pk)), status=code)

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
        try:
            counts = services.satisfaction_bulk_upsert(data["rows"], acting_user=user)
        except RowsRefused as refused:
            return error_response(
                refused,
                code="rows_refused",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors=[
                    {"row": e.row, "field": e.field, "message": e.message} for e in refused.errors
                ],
            )
        return Response(counts)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description=_("A fiscal period id.")),
            OpenApiParameter("start", OpenApiTypes.DATE, description=_("First day.")),
            OpenApiParameter("end", OpenApiTypes.DATE, description=_("Last day.")),
            OpenApiParameter("unit", int, description=_("Members of this unit's subtree.")),
            OpenApiParameter("person", int, description=_("One salesperson's id.")),
        ],
        responses={200: SatisfactionAverageSerializer(many=True), 400: INVALID, 404: NOT_FOUND},
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

"""HR's appraisal results in the REST API (register with `register(router)`):

    GET /api/v1/appraisal-results/?period=&unit=&grade=&page=
    GET /api/v1/appraisal-results/export/?format=csv|xlsx&period=&unit=&grade=

The latest result of each finalised appraisal the reader may see (version 1 from
finalisation, or the later version an appeal resolved with a change), filtered by
period (cycles whose period lies within it), unit (teams in its subtree) and grade;
the same rows and files as the page (`appraisal.results.exports`). HR and the sales
management department only (`permissions_cycles.can_export_results`): anybody else
403, anonymous 401. Bad filters answer 400 naming the field. On the export `format`
names the file format; its errors answer JSON.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer

from appraisal.cycles import permissions as permissions_cycles
from appraisal.cycles import services as services_cycles
from appraisal.models import Appraisal, AppraisalTemplate
from appraisal.results import exports
from core.api import FILE_RESPONSES, ApiViewSet, responses
from core.permissions import require
from core.serializers import EnumField, ReadSerializer
from org.models import OrgUnit, Period
from org.permissions import visible_units
from org.serializers import UnitRefSerializer, UserRefSerializer
from targets.serializers import PeriodRefSerializer

FILE_FORMATS = [("csv", "CSV"), ("xlsx", "XLSX")]
RESOLUTIONS = [("upheld", _("upheld")), ("changed", _("changed"))]

# --- serializers -------------------------------------------------------------------------------


class ResultQuerySerializer(serializers.Serializer):
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.select_related("fiscal_year"),
        required=False,
        help_text=_("Only the cycles whose period lies within this period."),
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Only the appraisals of teams in this unit's subtree."),
    )
    grade = serializers.CharField(
        required=False, allow_blank=True, max_length=10, help_text=_("Only this grade.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["unit"].queryset = visible_units(request.user)

    def filters(self) -> exports.ResultFilters:
        data = self.validated_data
        return exports.ResultFilters(
            period=data.get("period"), unit=data.get("unit"), grade=data.get("grade") or ""
        )


class ResultExportQuerySerializer(ResultQuerySerializer):
    format = EnumField(
        FILE_FORMATS,
        enum_name="AppraisalResultFileFormatEnum",
        default="csv",
        help_text=_("csv (UTF-8 with a byte order mark) or xlsx."),
    )


class ResultTemplateSerializer(ReadSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = AppraisalTemplate
        fields = ["id", "code", "version", "name", "name_zh", "display_name"]


class AppraisalResultRowSerializer(serializers.Serializer):
    """Reads the rows of `exports.latest_results` (everything joined: no query)."""

    id = serializers.IntegerField(help_text=_("The result's id."))
    appraisal = serializers.IntegerField(source="appraisal_id", help_text=_("The appraisal's id."))
    version = serializers.IntegerField(
        help_text=_("1 at finalisation; each appeal resolved with a change adds one.")
    )
    score = serializers.DecimalField(max_digits=7, decimal_places=2)
    grade = serializers.CharField()
    reason = serializers.CharField(help_text=_("Why this version replaced the one before."))
    recorded_at = serializers.DateTimeField(source="created_at")
    person = UserRefSerializer(source="appraisal.person")
    team = UnitRefSerializer(source="appraisal.unit")
    period = PeriodRefSerializer(source="appraisal.cycle.period")
    template = ResultTemplateSerializer(source="appraisal.cycle.template")
    status = EnumField(
        Appraisal.Status.choices,
        enum_name="AppraisalResultStatusEnum",
        source="appraisal.status",
    )
    status_label = serializers.CharField(
        source="appraisal.get_status_display", help_text=_("In the reader's language.")
    )
    released_at = serializers.DateTimeField(source="appraisal.released_at", allow_null=True)
    acknowledged_at = serializers.DateTimeField(source="appraisal.acknowledged_at", allow_null=True)
    appealed_at = serializers.DateTimeField(source="appraisal.appealed_at", allow_null=True)
    resolution = EnumField(
        [("", "—"), *RESOLUTIONS],
        enum_name="AppraisalResultResolutionEnum",
        source="appraisal.resolution",
        help_text=_("How an appeal was resolved; empty when there was none or it is pending."),
    )


# --- the view ----------------------------------------------------------------------------------


@extend_schema(tags=["appraisal results"])
class AppraisalResultViewSet(ApiViewSet):
    serializer_class = AppraisalResultRowSerializer
    filter_backends = []

    def perform_content_negotiation(self, request, force=False):
        # On the export, `?format=` names the file format, not a renderer; the file is
        # returned as it is and any error answers JSON.
        if self.action == "export":
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def _query(self, serializer_class) -> ResultQuerySerializer:
        require(permissions_cycles.can_export_results(self.request.user))
        serializer = serializer_class(
            data=self.request.query_params, context={"request": self.request}
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    @extend_schema(
        parameters=[ResultQuerySerializer],
        responses=responses(AppraisalResultRowSerializer(many=True), not_found=False),
        description=_(
            "The latest result of each finalised appraisal (HR and the sales management "
            "department), newest period first: person, team, period, template, result "
            "version, final score, grade, status and the release, acknowledgement and "
            "appeal dates."
        ),
    )
    def list(self, request):
        query = self._query(ResultQuerySerializer)
        results = exports.latest_results(request.user, query.filters())
        page = self.paginate_queryset(results)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[ResultExportQuerySerializer],
        responses=FILE_RESPONSES,
        description=_("The same results as a CSV or XLSX file (the same filters, every row)."),
    )
    @action(detail=False, methods=["get"], renderer_classes=[JSONRenderer], pagination_class=None)
    def export(self, request):
        query = self._query(ResultExportQuerySerializer)
        filters, file_format = query.filters(), query.validated_data["format"]
        response = exports.export_response(request.user, filters, file_format)
        services_cycles.results_exported(
            user=request.user,
            file_format=file_format,
            period=filters.period,
            unit=filters.unit,
            grade=filters.grade,
        )
        return response


def register(router) -> None:
    router.register("appraisal-results", AppraisalResultViewSet, basename="api-appraisal-result")

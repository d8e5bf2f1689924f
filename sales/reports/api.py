"""API of the sales app: reports (registered by sales.api).

    GET /api/v1/reports/sales/?by=unit|person|product|category|customer|month
    GET /api/v1/reports/sales/export/?format=csv|xlsx&...   (the same filters)
    GET /api/v1/reports/variance/?metric=&period=&owners=unit|person&unit=
    GET /api/v1/reports/variance/export/?format=csv|xlsx&...

The same selectors and files as the pages (`sales.reports.selectors`,
`sales.reports.exports`). Who sees what: the department everything, a supervisor the units
they lead and below, a salesperson their own sales; anybody else 403, anonymous 401.
Bad filters answer 400 naming the field. On the export actions `format` names the
file format; their errors answer JSON.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api import FILE_RESPONSES, ApiViewSet, responses
from core.permissions import require
from sales.reports import exports
from sales.reports import permissions as report_permissions
from sales.reports import selectors as reports
from sales.reports.serializers import (
    SalesExportQuerySerializer,
    SalesReportQuerySerializer,
    SalesReportSerializer,
    VarianceExportQuerySerializer,
    VarianceQuerySerializer,
    VarianceReportSerializer,
)

EXPORTS = {"sales_export", "variance_export"}


@extend_schema(tags=["reports"])
class ReportViewSet(ApiViewSet):
    pagination_class = None
    filter_backends = []

    def perform_content_negotiation(self, request, force=False):
        # On an export, `?format=` names the file format, not a renderer; the file is
        # returned as it is and any error answers JSON.
        if self.action in EXPORTS:
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def _query(self, serializer_class):
        require(report_permissions.can_see_reports(self.request.user))
        serializer = serializer_class(
            data=self.request.query_params, context={"request": self.request}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _sales(self, data) -> reports.SalesReport:
        return reports.sales_report(
            user=self.request.user,
            by=data["by"],
            date_range=data["range"],
            unit=data.get("unit"),
            sort=data.get("sort"),
        )

    def _variance(self, data) -> reports.VarianceReport:
        return reports.variance_report(
            user=self.request.user,
            metric=data["metric"],
            period=data["period"],
            owners=data["owners"],
            unit=data.get("unit"),
            sort=data.get("sort"),
        )

    @extend_schema(
        parameters=[SalesReportQuerySerializer],
        responses=responses(SalesReportSerializer, not_found=False),
        description=_(
            "Sales of a period or date range by unit, person, product, category, customer "
            "or month: amount, gross margin, quantity, collected and the number of records, "
            "summed over the credited shares of booked records, with the totals."
        ),
    )
    @action(detail=False, methods=["get"], url_path="sales")
    def sales(self, request):
        report = self._sales(self._query(SalesReportQuerySerializer))
        return Response(SalesReportSerializer(report).data)

    @extend_schema(
        parameters=[SalesExportQuerySerializer],
        responses=FILE_RESPONSES,
        description=_("The sales report as a CSV or XLSX file (the same filters)."),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="sales/export",
        url_name="sales-export",
        renderer_classes=[JSONRenderer],
    )
    def sales_export(self, request):
        data = self._query(SalesExportQuerySerializer)
        table = exports.sales_table(self._sales(data))
        return exports.report_response(table, data["format"])

    @extend_schema(
        parameters=[VarianceQuerySerializer],
        responses=responses(VarianceReportSerializer, not_found=False),
        description=_(
            "For a metric and a period: each unit's (rolled up over its subtree) or "
            "person's published target, actual, variance and attainment, with the totals."
        ),
    )
    @action(detail=False, methods=["get"], url_path="variance")
    def variance(self, request):
        report = self._variance(self._query(VarianceQuerySerializer))
        return Response(VarianceReportSerializer(report).data)

    @extend_schema(
        parameters=[VarianceExportQuerySerializer],
        responses=FILE_RESPONSES,
        description=_("The target variance report as a CSV or XLSX file (the same filters)."),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="variance/export",
        url_name="variance-export",
        renderer_classes=[JSONRenderer],
    )
    def variance_export(self, request):
        data = self._query(VarianceExportQuerySerializer)
        table = exports.variance_table(self._variance(data))
        return exports.report_response(table, data["format"])


def register(router) -> None:
    router.register("reports", ReportViewSet, basename="api-report")

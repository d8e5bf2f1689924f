"""URLs of the sales app: reports (included by sales.urls)."""

from django.urls import path

from sales.reports import views as views_reports

urlpatterns: list = [
    path("analysis/", views_reports.reports_index, name="reports"),
    path("analysis/sales/", views_reports.report_sales, name="report-sales"),
    path("analysis/sales/export/", views_reports.report_sales_export, name="report-sales-export"),
    path("analysis/variance/", views_reports.report_variance, name="report-variance"),
    path(
        "analysis/variance/export/",
        views_reports.report_variance_export,
        name="report-variance-export",
    ),
]

"""The sales app's pages, one module per area."""

from sales import urls_dashboards, urls_feedback, urls_records, urls_reports

app_name = "sales"

urlpatterns = [
    *urls_records.urlpatterns,
    *urls_feedback.urlpatterns,
    *urls_dashboards.urlpatterns,
    *urls_reports.urlpatterns,
]

"""The sales app's pages, one module per area."""

from sales.attainment import urls as urls_dashboards
from sales.feedback import urls as urls_feedback
from sales.records import urls as urls_records
from sales.reports import urls as urls_reports

app_name = "sales"

urlpatterns = [
    *urls_records.urlpatterns,
    *urls_feedback.urlpatterns,
    *urls_dashboards.urlpatterns,
    *urls_reports.urlpatterns,
]

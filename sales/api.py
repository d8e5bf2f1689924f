"""The sales app's /api/v1/ endpoints, one module per area."""

from sales.attainment import api as api_attainment
from sales.feedback import api as api_feedback
from sales.records import api as api_records
from sales.reports import api as api_reports


def register(router) -> None:
    api_records.register(router)
    api_feedback.register(router)
    api_attainment.register(router)
    api_reports.register(router)

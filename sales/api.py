"""The sales app's /api/v1/ endpoints, one module per area."""

from sales import api_attainment, api_feedback, api_records, api_reports


def register(router) -> None:
    api_records.register(router)
    api_feedback.register(router)
    api_attainment.register(router)
    api_reports.register(router)

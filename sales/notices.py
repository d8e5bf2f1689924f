"""Notification texts sent by the sales app (registered at start-up by SalesConfig)."""

from django.utils.translation import gettext_lazy as _

from notifications.messages import register

register(
    "progress_report_submitted",
    _("%(person)s submitted a progress report for %(period)s."),
)
register(
    "progress_report_commented",
    _("%(supervisor)s commented on your progress report for %(period)s: %(comment)s"),
)
register(
    "progress_reports_missing",
    _("%(count)s progress report(s) missing for %(period)s: %(people)s."),
)

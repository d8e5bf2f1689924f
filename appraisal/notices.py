"""Notification texts sent by the appraisal app."""

from django.utils.translation import gettext_lazy as _

from notifications.messages import register

register(
    "appraisal_template_published",
    _(
        "The appraisal template %(template)s (version %(version)s) is published: it applies "
        "from %(period)s. See how you will be appraised."
    ),
)

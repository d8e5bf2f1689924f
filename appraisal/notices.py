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

register(
    "appraisal_cycle_opened",
    _(
        "Your appraisal for %(period)s (%(template)s) is open. Where it asks for one, "
        "write your self-assessment."
    ),
)

register(
    "appraisal_released",
    _(
        "Your appraisal result for %(period)s is released: %(grade)s. You may acknowledge "
        "it or appeal until %(deadline)s."
    ),
)

register(
    "appraisal_appealed",
    _("%(person)s appealed the appraisal result for %(period)s."),
)

register(
    "appraisal_appeal_resolved",
    _("Your appeal of the appraisal result for %(period)s is resolved: %(outcome)s."),
)

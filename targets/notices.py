"""Notification texts sent by the targets app."""

from django.utils.translation import gettext_lazy as _

from notifications.messages import register

register("target_published", _("Your %(metric)s target for %(period)s is published: %(value)s."))
register(
    "unit_target_published",
    _("The %(metric)s target of %(unit)s for %(period)s is published: %(value)s."),
)
register(
    "allocation_submitted",
    _("%(supervisor)s submitted the %(metric)s allocation of %(unit)s for %(period)s."),
)
register(
    "allocation_approved", _("The %(metric)s allocation of %(unit)s for %(period)s is approved.")
)
register(
    "allocation_returned",
    _("The %(metric)s allocation of %(unit)s for %(period)s was returned: %(comment)s"),
)
register(
    "adjustment_requested",
    _("%(requester)s asks to change the %(metric)s target of %(owner)s to %(value)s."),
)
register(
    "adjustment_approved",
    _("The %(metric)s target of %(owner)s for %(period)s is now %(value)s (adjustment approved)."),
)
register(
    "adjustment_rejected",
    _("The change to the %(metric)s target of %(owner)s was not approved: %(note)s"),
)
register("plan_submitted", _("%(person)s submitted a sales plan for %(period)s."))
register("plan_approved", _("Your sales plan for %(period)s is approved."))
register("plan_returned", _("Your sales plan for %(period)s was returned: %(comment)s"))

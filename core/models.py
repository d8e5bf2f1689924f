"""Abstract models the apps share (core has no tables of its own)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Released(models.Model):
    """The end of a workflow whose result is released to its person, who acknowledges it
    or appeals it within a window; the department resolves an appeal as upheld or with a
    change (a new recorded version, the app's own)."""

    class Resolution(models.TextChoices):
        UPHELD = "upheld", _("upheld")
        CHANGED = "changed", _("changed")

    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_reason = models.TextField(_("reasons for the appeal"), blank=True)
    resolved_at = models.DateTimeField(_("appeal resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appeal resolved by"),
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, blank=True, choices=Resolution.choices
    )
    resolution_reason = models.TextField(_("reason for the resolution"), blank=True)

    class Meta:
        abstract = True

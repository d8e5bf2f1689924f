from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "targets"
    verbose_name = _("Sales targets")

    def ready(self):
        from targets import notices  # noqa: F401  registers the notification texts

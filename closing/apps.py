from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    name = "closing"
    verbose_name = _("Period close")

    def ready(self):
        from closing import notices  # noqa: F401  registers the notification texts

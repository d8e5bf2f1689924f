from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("Appraisal")

    def ready(self):
        from appraisal import (
            notices,  # noqa: F401  registers the notification texts
            tasks,  # noqa: F401  registers the tasks, queued by name
        )

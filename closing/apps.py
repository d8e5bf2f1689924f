from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    name = "closing"
    verbose_name = _("Period close")

    def ready(self):
        from django.db.models.signals import post_migrate

        from closing import (
            notices,  # noqa: F401  registers the notification texts
            signals,  # noqa: F401  records the scheduled jobs' runs
            tasks,  # noqa: F401  registers the tasks (services queue them by name)
        )
        from salesperf.beat import install_schedule

        # The schedule is written to the database after every migrate (entries already
        # there are left as they are), so the schedule page has it on any setup.
        post_migrate.connect(install_schedule, sender=self, dispatch_uid="closing.schedule")

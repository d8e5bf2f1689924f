from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("Rewards and penalties")

    def ready(self):
        from rewards import notices  # noqa: F401  registers the notification texts

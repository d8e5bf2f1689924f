from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Sales organisation")

    def ready(self):
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import update_last_login

        # Record the last sign-in with an UPDATE so it does not add a row to the
        # person's audit history on every sign-in.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_touch_last_login, dispatch_uid="salesperf_last_login")


def _touch_last_login(sender, user, **kwargs):
    from django.utils import timezone

    type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())

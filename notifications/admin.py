from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__username", "kind"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    # Notifications are written by the apps' services; the admin reads them.
    readonly_fields = ["recipient", "kind", "params", "url", "created_at", "read_at"]

    @admin.display(description=_("text"))
    def text(self, obj):
        return str(obj)

    def has_add_permission(self, request):
        return False

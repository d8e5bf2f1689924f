"""What the apps' admin classes share."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """An admin (or an inline) to read: no add, change or delete; the writes go through
    the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Serializers of the notifications API (/api/v1/notifications/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications.messages import render
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(
        help_text=_("The message, in the language of the request.")
    )
    params = serializers.DictField(read_only=True, help_text=_("The values named in the text."))
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "params", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_text(self, notification) -> str:
        return render(notification.kind, notification.params)

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        label=_("notifications"),
        help_text=_("Ids of your notifications to mark as read; all unread ones if left out."),
    )


class MarkedReadSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Notifications marked as read."))

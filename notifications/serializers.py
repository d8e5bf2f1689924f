"""Serializers of the notifications API (/api/v1/notifications/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import ReadSerializer
from notifications.messages import render
from notifications.models import Notification


class NotificationSerializer(ReadSerializer):
    text = serializers.SerializerMethodField(
        help_text=_("The message, in the language of the request.")
    )
    params = serializers.DictField(read_only=True, help_text=_("The values named in the text."))
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "params", "url", "created_at", "read_at", "is_read"]

    def get_text(self, notification) -> str:
        return render(notification.kind, notification.params)

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    """`{"ids": [...]}` marks those; `{}` (or no body) marks all unread ones. Anything else
    (`"ids": null`, another key, a body that is not an object) is refused: a malformed
    request must never widen to "all"."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        label=_("notifications"),
        help_text=_("Ids of your notifications to mark as read; all unread ones if left out."),
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: _("Unknown field: send `ids`, or nothing to mark all.") for name in unknown}
            )
        return attrs


class MarkedReadSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Notifications marked as read."))

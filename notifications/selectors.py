"""Reads of notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification


def notifications_for(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first (one query per page)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from notifications.models import Notification


def notify(*, recipient_ids: Iterable[int], kind: str, params: dict | None = None, url: str = ""):
    """Create one notification per recipient, in one query."""
    rows = [
        Notification(recipient_id=pk, kind=kind, params=params or {}, url=url)
        for pk in dict.fromkeys(recipient_ids)
        if pk
    ]
    return Notification.objects.bulk_create(rows)


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())

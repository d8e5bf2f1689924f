"""The demo's notifications, once the whole demo is written (`settle`, called by
`manage.py seed_demo` after every app's part and its on-commit writes).

Everybody has read what reached them before their last few notifications: each person
keeps their KEEP_UNREAD newest unread notifications, so the bell shows a realistic
handful rather than every report submitted over two months. Idempotent.
"""

from __future__ import annotations

import datetime
from itertools import groupby

from django.utils import timezone

from notifications.models import Notification

KEEP_UNREAD = 5


def settle(*, today: datetime.date) -> None:
    unread = Notification.objects.filter(read_at__isnull=True).order_by(
        "recipient_id", "-created_at", "-id"
    )
    read = []
    for _recipient, rows in groupby(unread.values_list("recipient_id", "pk"), key=lambda r: r[0]):
        read += [pk for _r, pk in list(rows)[KEEP_UNREAD:]]
    for start in range(0, len(read), 500):
        Notification.objects.filter(pk__in=read[start : start + 500]).update(read_at=timezone.now())

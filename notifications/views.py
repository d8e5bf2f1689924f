"""Placeholder until the views are written (work in progress in this session)."""


def notification_list(request):
    raise NotImplementedError


def mark_read(request):
    raise NotImplementedError

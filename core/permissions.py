"""The one access check every view and endpoint calls."""

from django.core.exceptions import PermissionDenied


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied

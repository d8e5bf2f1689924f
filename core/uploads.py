"""Sizes in words (an upload's limit on an import page)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(n)s MB") % {"n": f"{size / (1024 * 1024):.1f}".removesuffix(".0")}
    if size >= 1024:
        return _("%(n)s KB") % {"n": f"{size / 1024:.1f}".removesuffix(".0")}
    return _("%(n)s bytes") % {"n": size}

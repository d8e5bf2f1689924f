"""Reading an uploaded file within a size limit, and sizes in words."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from core.spreadsheets import ImportIssue


def read_upload(upload, *, max_bytes: int | None = None) -> tuple[bytes, list[ImportIssue]]:
    """The bytes of an uploaded file (or bytes), refusing more than `max_bytes`
    (ORG_IMPORT_MAX_BYTES unless given)."""
    limit = settings.ORG_IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    too_big = [
        ImportIssue(
            None,
            "",
            _("The file is larger than %(size)s, the most an import accepts.")
            % {"size": human_size(limit)},
        )
    ]
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > limit:
            return b"", too_big
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        return b"", too_big
    return data, []


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(n)s MB") % {"n": f"{size / (1024 * 1024):.1f}".removesuffix(".0")}
    if size >= 1024:
        return _("%(n)s KB") % {"n": f"{size / 1024:.1f}".removesuffix(".0")}
    return _("%(n)s bytes") % {"n": size}

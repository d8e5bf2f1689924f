"""Message texts for notifications, registered by the apps that send them.

A notification stores a kind and parameters; the text is produced when it is
read, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext as _

_TEXTS: dict[str, Callable[[], str]] = {}


def register(kind: str, text) -> None:
    """`text` is a lazy translated string with %(name)s placeholders."""
    _TEXTS[kind] = text


def render(kind: str, params: dict) -> str:
    text = _TEXTS.get(kind)
    if text is None:
        return _("Notification: %(kind)s") % {"kind": kind}
    if translation.get_language() == "zh-hans":
        params = {key: params.get(f"{key}_zh", value) for key, value in params.items()}
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(text)

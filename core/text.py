"""Rules about plain text that every app shares."""

_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def is_slug(value: str) -> bool:
    """Letters, digits, hyphens and underscores only (what a unit code may hold)."""
    return bool(value) and all(ch in _SLUG_CHARS for ch in value)

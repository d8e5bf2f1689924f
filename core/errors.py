"""The errors every service raises when a rule is broken.

A `DomainError` is structured: the message says which rule, in words a user can act on; the
`code` names the rule for programs (the API answers it as `code`); `field` names the input at
fault (None: the change as a whole), so a page puts the message beside that field and the API
answers it as `field`; `data` carries figures a client may need (the API adds them to its
answer, e.g. the first period an adjustment may take effect from). Nobody reads a message to
learn what went wrong.

A wrong actor is not a DomainError: the permission checks raise Django's `PermissionDenied`
(403 everywhere). A `Conflict` is a rule broken only because of something under way (a close
running): the API answers it 409.
"""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A rule was broken; the message says which, in words a user can act on."""

    default_code = "domain_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        data: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        if field is not None or not hasattr(self, "field"):
            self.field = field
        self.data = dict(data or {})

    def __reduce__(self):
        # Pickled as a plain DomainError of the same message, code, field and data (a task's
        # result or a log handler may pickle it; the keyword arguments would otherwise be lost).
        return (_rebuilt, (self.message, self.code, self.field, self.data))


class Conflict(DomainError):
    """The change cannot be made now because of something under way (the API answers 409)."""

    default_code = "conflict"


def _rebuilt(message, code, field, data) -> DomainError:
    return DomainError(message, code=code, field=field, data=data)

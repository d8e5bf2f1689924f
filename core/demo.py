"""What the apps' demo seeds share."""

from __future__ import annotations

import contextlib
import logging

from django.db import transaction
from django.test.utils import override_settings


class QuietOnCommit:
    """While enabled: e-mail goes to the dummy backend and the eager tasks' "succeeded"
    lines are not logged. `around()` enables it and disables it by on-commit callbacks
    around what the block queues (callbacks run in the order they were registered), so
    that the e-mails a demo's services queue on commit are not sent (they would all go to
    the console, or to made-up addresses); with no transaction, all at once."""

    def __init__(self):
        self.mail = override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
        self.trace = logging.getLogger("celery.app.trace")
        self.level = self.trace.level

    def enable(self) -> None:
        self.mail.enable()
        self.level = self.trace.level
        self.trace.setLevel(logging.WARNING)

    def disable(self) -> None:
        self.mail.disable()
        self.trace.setLevel(self.level)

    @contextlib.contextmanager
    def around(self):
        transaction.on_commit(self.enable, robust=True)
        try:
            yield
        finally:
            transaction.on_commit(self.disable, robust=True)

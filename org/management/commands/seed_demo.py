"""Load the demo company, Qingyun Instruments, as of a day (default: today).

Each app adds its part through a `demo.seed(stdout=..., today=...)` function, found
through the app registry in the order of INSTALLED_APPS (org first), so that org
depends on none of them; a `demo.settle(today=...)` runs once all of it is written.
The dates of the whole demo come from org.demo_calendar.DemoCalendar: the demo is
valid on any day.

`--today YYYY-MM-DD` seeds the demo as a newcomer would on that day: the clock is
set to that day (time-machine) while the demo is written, so that what the services
stamp ("now", the history, notifications) agrees with the demo's dates.

Idempotent: running it again changes nothing that is already there.
"""

import contextlib
import datetime
import functools
import importlib
import logging

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from org.demo import DEMO_PASSWORD, logins, salespeople


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today: {value!r} is not a date (YYYY-MM-DD).") from None


@contextlib.contextmanager
def _clock_at(day: datetime.date | None):
    """Run with the clock on `day` (at the current local time of day), unless `day`
    is None or already today."""
    if day is None or day == timezone.localdate():
        yield
        return
    import time_machine

    local = timezone.localtime()
    moment = timezone.make_aware(datetime.datetime.combine(day, local.time().replace(tzinfo=None)))
    with time_machine.travel(moment, tick=True):
        yield


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="Seed the demo as of this day (YYYY-MM-DD); default: today.",
        )

    def handle(self, *args, quiet=False, today=None, **options):
        # The demo's tasks run in-process when its transaction commits (no REDIS_URL);
        # their "succeeded" lines would follow the logins printed below.
        trace = logging.getLogger("celery.app.trace")
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            with _clock_at(today):
                self._seed(today=timezone.localdate())
        finally:
            trace.setLevel(level)
        if not quiet:
            self._print_logins()

    @transaction.atomic
    def _seed(self, *, today: datetime.date) -> None:
        modules = []
        for app in apps.get_app_configs():
            if not app.name.isidentifier():
                continue
            try:
                modules.append(importlib.import_module(f"{app.name}.demo"))
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.demo":
                    raise
        for module in modules:
            if hasattr(module, "seed"):
                module.seed(stdout=self.stdout, today=today)
        # A module's `settle(today=...)` tidies what the others left once everything,
        # the writes made on commit included, is there (e.g. the notifications people
        # have read): registered last, it runs after every other on-commit callback.
        for module in modules:
            if hasattr(module, "settle"):
                transaction.on_commit(functools.partial(module.settle, today=today))

    def _print_logins(self) -> None:
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Demo organisation loaded: Qingyun Instruments Co., Ltd."))
        out.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        rows = logins()
        width = max(len(r[0]) for r in rows)
        for role, username, scope in rows:
            out.write(f"  {role.ljust(width)}  {username.ljust(12)}  {scope}")
        out.write("Salespeople: " + ", ".join(p[0] for p in salespeople()[:5]) + ", …")

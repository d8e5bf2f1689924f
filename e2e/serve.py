"""Serve the site for one journey: `manage.py runserver --noreload ADDRESS`, as
`make run` does (the environment chooses the database), optionally with the clock
moved to another day like `seed_demo --today` (time-machine, ticking):

    python e2e/serve.py [--today YYYY-MM-DD] 127.0.0.1:PORT
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesperf.settings")
    today = None
    if argv[:1] == ["--today"]:
        today, argv = datetime.date.fromisoformat(argv[1]), argv[2:]
    import django

    django.setup()
    from django.core.management import execute_from_command_line
    from django.utils import timezone

    if today is not None and today != timezone.localdate():
        import time_machine

        local = timezone.localtime()
        moment = timezone.make_aware(
            datetime.datetime.combine(today, local.time().replace(tzinfo=None))
        )
        time_machine.travel(moment, tick=True).start()
    # The system checks are the unit suite's business: skipping them starts it sooner.
    execute_from_command_line(["manage.py", "runserver", "--noreload", "--skip-checks", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])

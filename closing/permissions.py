"""Who may see and do what with the period close, in one place.

- sales management department: starts a close (by hand), reopens a closed
  period with a reason, and reads every run with its progress;
- administrators: read every run and its progress (to support the department),
  start and reopen nothing;
- everyone else: the close pages answer 403, a run 404 (hidden, the same as a
  missing one).

Every HTML view and API endpoint of `closing` asks these helpers.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from closing.models import CloseRun
from org.permissions import is_administrator, is_department


def can_run_closes(user) -> bool:
    """Start a close of a period and reopen a closed one."""
    return is_department(user)


def can_read_runs(user) -> bool:
    """The close pages: the periods with their close, the run history, a run's progress."""
    return is_department(user) or is_administrator(user)


def visible_runs(user) -> QuerySet[CloseRun]:
    if not can_read_runs(user):
        return CloseRun.objects.none()
    return CloseRun.objects.all()


def run_for_user(user, pk) -> CloseRun:
    """The run (period, fiscal year and starter joined), or 404 when it is missing or
    hidden from `user`."""
    try:
        return visible_runs(user).select_related("period__fiscal_year", "started_by").get(pk=pk)
    except (CloseRun.DoesNotExist, ValueError, TypeError):
        raise Http404 from None

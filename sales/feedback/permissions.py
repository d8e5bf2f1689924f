"""Who may see and do what with progress reports and satisfaction responses.

Progress reports:
- the salesperson writes, submits and edits their own (until it is commented);
- the supervisors of the team the person was a member of during the report's period
  (and the supervisors of the units above) read and comment on it once it is
  submitted (a draft is its author's alone); opening it marks it read;
- the sales management department reads and comments on every submitted report;
- HR and anybody else: nothing (a report answers 404, the team page 403).

Satisfaction responses:
- a salesperson sees the responses about themselves;
- a supervisor those about the people who were members of a unit they lead (or
  below) on the day the customer answered, and enters them (never about
  themselves);
- the department sees and enters all, and imports files;
- HR and anybody else: nothing.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from org.models import Membership, Role, User
from org.permissions import (
    active_on_q,
    is_department,
    is_salesperson,
    led_unit_paths,
    subtree_q,
)
from sales.models import ProgressReport, SatisfactionResponse


def _led_member_during(paths, start_ref: str, end_ref: str, person_ref: str):
    """Exists: the person was a member of a unit in the subtrees at `paths` at some
    time in [start, end] (OuterRef names)."""
    return Exists(
        Membership.objects.filter(
            subtree_q(paths, "unit__path"),
            kind=Membership.Kind.MEMBER,
            user_id=OuterRef(person_ref),
            start_date__lte=OuterRef(end_ref),
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef(start_ref)))
    )


# --- progress reports -------------------------------------------------------------------------


def can_write_reports(user) -> bool:
    """Salespeople (a supervisor who also sells too) write their own reports."""
    return is_salesperson(user)


def can_write_report_of(user, person: User) -> bool:
    """A report is written and submitted by its author only, a salesperson."""
    return (
        user is not None
        and user.is_authenticated
        and user.pk == person.pk
        and can_write_reports(user)
    )


def can_see_team_reports(user) -> bool:
    """The team page: supervisors (of the units they lead) and the department."""
    return user.is_authenticated and (is_department(user) or bool(led_unit_paths(user)))


def visible_reports(user) -> QuerySet[ProgressReport]:
    if not user.is_authenticated:
        return ProgressReport.objects.none()
    condition = Q(person=user)
    submitted = Q(submitted_at__isnull=False)
    if is_department(user):
        return ProgressReport.objects.filter(condition | submitted)
    paths = led_unit_paths(user)
    if paths:
        condition |= submitted & Q(
            _led_member_during(paths, "period_start", "period_end", "person_id")
        )
    return ProgressReport.objects.filter(condition)


def report_for_user(user, pk) -> ProgressReport:
    try:
        return visible_reports(user).select_related("person", "commented_by").get(pk=pk)
    except (ProgressReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def supervises_report(user, report: ProgressReport) -> bool:
    """The user leads (directly or above) a team the author was a member of during the
    report's period, and is not the author."""
    if report.person_id == user.pk:
        return False
    paths = led_unit_paths(user)
    if not paths:
        return False
    return (
        Membership.objects.filter(
            subtree_q(paths, "unit__path"),
            kind=Membership.Kind.MEMBER,
            user_id=report.person_id,
            start_date__lte=report.period_end,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=report.period_start))
        .exists()
    )


def can_comment(user, report: ProgressReport) -> bool:
    """A supervisor of the author, or the department; never the author."""
    if not user.is_authenticated or report.person_id == user.pk:
        return False
    return is_department(user) or supervises_report(user, report)


def can_edit_report(user, report: ProgressReport) -> bool:
    """The author, until a supervisor has commented (the state is the service's to
    check: a locked report is refused with a message)."""
    return report.person_id == user.pk


# --- satisfaction -------------------------------------------------------------------------------


def can_see_satisfaction(user) -> bool:
    return user.is_authenticated and (
        is_department(user) or is_salesperson(user) or bool(led_unit_paths(user))
    )


def can_enter_satisfaction(user) -> bool:
    """Enter responses one by one: the department and supervisors."""
    return user.is_authenticated and (is_department(user) or bool(led_unit_paths(user)))


def can_import_satisfaction(user) -> bool:
    return is_department(user)


def visible_satisfaction(user) -> QuerySet[SatisfactionResponse]:
    if not user.is_authenticated:
        return SatisfactionResponse.objects.none()
    if is_department(user):
        return SatisfactionResponse.objects.all()
    condition = Q(salesperson=user)
    paths = led_unit_paths(user)
    if paths:
        condition |= Q(_led_member_during(paths, "answered_on", "answered_on", "salesperson_id"))
    return SatisfactionResponse.objects.filter(condition)


def satisfaction_for_user(user, pk) -> SatisfactionResponse:
    try:
        return (
            visible_satisfaction(user)
            .select_related("customer", "salesperson", "period__fiscal_year", "entered_by")
            .get(pk=pk)
        )
    except (SatisfactionResponse.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def satisfaction_people(user, on: datetime.date | None = None) -> QuerySet[User]:
    """The salespeople the user may enter a response about (today): the department
    anybody with the salesperson role; a supervisor the members of the units they lead
    and below, never themselves."""
    salespeople = User.objects.filter(role_assignments__role=Role.SALESPERSON, is_active=True)
    if not user.is_authenticated:
        return User.objects.none()
    if is_department(user):
        return salespeople.distinct()
    paths = led_unit_paths(user)
    if not paths:
        return User.objects.none()
    day = on or timezone.localdate()
    led = Membership.objects.filter(
        active_on_q(day), subtree_q(paths, "unit__path"), kind=Membership.Kind.MEMBER
    )
    return User.objects.filter(pk__in=led.values("user_id")).exclude(pk=user.pk)


def can_enter_satisfaction_for(user, salesperson: User, day: datetime.date) -> bool:
    """The department for anybody; a supervisor for a member of a unit they lead (or
    below) on the day the customer answered; nobody about themselves."""
    if not user.is_authenticated or salesperson.pk == user.pk:
        return False
    if is_department(user):
        return True
    paths = led_unit_paths(user)
    if not paths:
        return False
    return Membership.objects.filter(
        active_on_q(day),
        subtree_q(paths, "unit__path"),
        kind=Membership.Kind.MEMBER,
        user_id=salesperson.pk,
    ).exists()

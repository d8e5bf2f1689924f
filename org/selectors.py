"""Reads built for the organisation pages, each in a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from org import permissions
from org.filters import PersonFilter
from org.models import FiscalYear, Membership, OrgUnit, Period, User
from org.permissions import active_on_q


@dataclass
class TreeNode:
    unit: OrgUnit
    supervisors: list[User] = field(default_factory=list)
    member_count: int = 0
    children: list[TreeNode] = field(default_factory=list)


def org_tree(*, user, on: datetime.date | None = None) -> list[TreeNode]:
    """The units `user` may see as a forest, with current supervisors and head counts.

    Three queries whatever the size of the organisation.
    """
    day = on or timezone.localdate()
    units = list(permissions.visible_units(user, day).order_by("path"))
    nodes = {u.pk: TreeNode(unit=u) for u in units}
    current = (
        Membership.objects.filter(active_on_q(day), unit_id__in=list(nodes))
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    for membership in current:
        node = nodes[membership.unit_id]
        if membership.kind == Membership.Kind.SUPERVISOR:
            node.supervisors.append(membership.user)
        else:
            node.member_count += 1
    roots: list[TreeNode] = []
    for unit in units:
        node = nodes[unit.pk]
        if unit.parent_id in nodes:
            nodes[unit.parent_id].children.append(node)
        else:
            roots.append(node)
    return roots


@dataclass
class UnitDetail:
    unit: OrgUnit
    ancestors: list[OrgUnit]
    children: list[OrgUnit]
    supervisors: list[Membership]
    members: list[Membership]
    past_members: list[Membership]


def unit_detail(*, user, unit: OrgUnit, on: datetime.date | None = None) -> UnitDetail:
    """One unit with its current supervisors and members (only people `user` may see)
    and the people who left it. Five queries."""
    day = on or timezone.localdate()
    ancestor_ids = [int(pk) for pk in unit.path.strip("/").split("/")[:-1] if pk]
    ancestors = sorted(OrgUnit.objects.filter(pk__in=ancestor_ids), key=lambda u: u.depth)
    children = list(permissions.visible_units(user, day).filter(parent=unit).order_by("name"))
    visible_ids = set(permissions.visible_people(user, day).values_list("pk", flat=True))
    memberships = (
        Membership.objects.filter(unit=unit)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "-start_date")
    )
    supervisors, members, past = [], [], []
    for membership in memberships:
        if membership.user_id not in visible_ids:
            continue
        if not membership.is_active_on(day):
            if membership.start_date <= day:
                past.append(membership)
            continue
        (supervisors if membership.kind == Membership.Kind.SUPERVISOR else members).append(
            membership
        )
    return UnitDetail(unit, ancestors, children, supervisors, members, past)


def people_list(*, user, params) -> QuerySet[User]:
    """The active people `user` may see, narrowed by the people list's filters
    (`org.filters.PersonFilter`, the API's as well) given as query parameters, with roles
    and current team prefetched (fixed queries)."""
    day = timezone.localdate()
    visible = permissions.visible_people(user, day).filter(is_active=True)
    qs = PersonFilter(params, queryset=visible, day=day).qs
    return qs.order_by("last_name", "first_name", "username").prefetch_related(
        "role_assignments",
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(active_on_q(day)).select_related("unit"),
            to_attr="current_memberships",
        ),
    )


@dataclass
class PersonDetail:
    person: User
    roles: list[str]
    memberships: list[Membership]
    current: list[Membership]


def person_detail(*, person: User) -> PersonDetail:
    day = timezone.localdate()
    memberships = list(person.memberships.select_related("unit").order_by("-start_date", "kind"))
    roles = sorted(person.role_set)
    current = [m for m in memberships if m.is_active_on(day)]
    return PersonDetail(person, roles, memberships, current)


def fiscal_years_with_periods() -> list[FiscalYear]:
    """Fiscal years, newest first, each with `.year_period`, `.quarters` and `.months`;
    a quarter and the year with `.months_closed` of `.months_total`. Two queries."""
    years = list(FiscalYear.objects.all())
    grouped: dict[int, list[Period]] = defaultdict(list)
    for period in Period.objects.filter(fiscal_year__in=years).select_related("fiscal_year"):
        grouped[period.fiscal_year_id].append(period)
    for year in years:
        periods = sorted(grouped[year.pk], key=lambda p: (p.start_date, p.kind != "year"))
        year.year_period = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
        year.quarters = [p for p in periods if p.kind == Period.Kind.QUARTER]
        year.months = [p for p in periods if p.kind == Period.Kind.MONTH]
        for longer in [*year.quarters, *([year.year_period] if year.year_period else [])]:
            inside = [
                m
                for m in year.months
                if longer.start_date <= m.start_date and m.end_date <= longer.end_date
            ]
            longer.months_total = len(inside)
            longer.months_closed = sum(m.status == Period.Status.CLOSED for m in inside)
    return years


def with_current_team(people: QuerySet[User], on: datetime.date | None = None) -> QuerySet[User]:
    """`people` with `team_name` and `team_name_zh`: the sales team each is a member of
    on `on` (today by default; the latest started when several), for pickers that show
    "name · team". Still one query."""
    day = on or timezone.localdate()
    team = Membership.objects.filter(
        active_on_q(day), user=OuterRef("pk"), kind=Membership.Kind.MEMBER
    ).order_by("-start_date", "-pk")
    return people.annotate(
        team_name=Subquery(team.values("unit__name")[:1]),
        team_name_zh=Subquery(team.values("unit__name_zh")[:1]),
    )


def next_fiscal_year_start() -> tuple[int, int]:
    """The first calendar year and month a new fiscal year would most likely have: the
    month after the latest fiscal year ends, or this year from the configured month
    when there is none yet."""
    latest = FiscalYear.objects.order_by("-end_date").only("end_date").first()
    if latest is None:
        return timezone.localdate().year, settings.FISCAL_YEAR_START_MONTH
    following = latest.end_date + datetime.timedelta(days=1)
    return following.year, following.month


def periods_containing(day: datetime.date) -> list[Period]:
    """The year, quarter and month that contain `day`."""
    return list(
        Period.objects.filter(start_date__lte=day, end_date__gte=day)
        .select_related("fiscal_year")
        .order_by("-end_date")
    )


def home_summary(*, user) -> dict:
    """What the home page shows, per role, in a fixed number of queries."""
    day = timezone.localdate()
    summary: dict = {"today": day, "periods": periods_containing(day)}
    summary["my_memberships"] = list(
        Membership.objects.filter(active_on_q(day), user=user).select_related("unit")
    )
    team_ids = [m.unit_id for m in summary["my_memberships"] if m.kind == Membership.Kind.MEMBER]
    summary["my_supervisors"] = list(
        Membership.objects.filter(
            active_on_q(day), unit_id__in=team_ids, kind=Membership.Kind.SUPERVISOR
        )
        .exclude(user=user)
        .select_related("user", "unit")
    )
    paths = permissions.led_unit_paths(user, day)
    if paths:
        led = list(
            OrgUnit.objects.filter(path__in=paths)
            .annotate(
                member_count=Count(
                    "memberships",
                    filter=active_on_q(day, "memberships__")
                    & Q(memberships__kind=Membership.Kind.MEMBER),
                    distinct=True,
                )
            )
            .order_by("path")
        )
        summary["led_units"] = led
    if permissions.sees_whole_organisation(user):
        summary["counts"] = {
            "units": OrgUnit.objects.filter(is_active=True).count(),
            "people": Membership.objects.filter(active_on_q(day), kind=Membership.Kind.MEMBER)
            .values("user_id")
            .distinct()
            .count(),
            "teams": OrgUnit.objects.filter(is_active=True, kind=OrgUnit.Kind.TEAM).count(),
        }
        summary["unstaffed_teams"] = list(
            OrgUnit.objects.filter(is_active=True, kind=OrgUnit.Kind.TEAM)
            .exclude(
                pk__in=Membership.objects.filter(
                    active_on_q(day), kind=Membership.Kind.SUPERVISOR
                ).values("unit_id")
            )
            .order_by("path")
        )
    return summary


# --- the API's lists: the visible querysets with what their serializers need joined or
# prefetched, so a page costs the same number of queries whatever its size ------------


def today() -> datetime.date:
    return timezone.localdate()


def current_memberships_of(user, on: datetime.date | None = None) -> list[Membership]:
    """`user`'s own memberships running on `on` (default today), with their units."""
    day = on or today()
    return list(
        Membership.objects.filter(permissions.active_on_q(day), user=user)
        .select_related("unit")
        .order_by("kind", "unit__path", "start_date")
    )


def units_for_api(user, on: datetime.date | None = None) -> QuerySet[OrgUnit]:
    day = on or today()
    supervisors = (
        Membership.objects.filter(permissions.active_on_q(day), kind=Membership.Kind.SUPERVISOR)
        .select_related("user")
        .order_by("user__username")
    )
    return (
        permissions.visible_units(user, day)
        .prefetch_related(
            Prefetch("memberships", queryset=supervisors, to_attr="current_supervisor_memberships")
        )
        .order_by("path")
    )


def people_for_api(user, on: datetime.date | None = None) -> QuerySet[User]:
    day = on or today()
    # Only the memberships the viewer may see: a person in a led team may also
    # lead a unit elsewhere, which stays hidden.
    memberships = (
        permissions.visible_memberships(user)
        .filter(permissions.active_on_q(day))
        .select_related("unit")
        .order_by("kind", "unit__path", "start_date")
    )
    return (
        permissions.visible_people(user, day)
        .prefetch_related(
            "role_assignments",
            Prefetch("memberships", queryset=memberships, to_attr="visible_current_memberships"),
        )
        .order_by("username")
    )


def memberships_for_api(user) -> QuerySet[Membership]:
    return (
        permissions.visible_memberships(user)
        .select_related("user", "unit")
        .order_by("user__username", "start_date", "pk")
    )


def fiscal_years_for_api() -> QuerySet[FiscalYear]:
    return FiscalYear.objects.order_by("-start_date")


def periods_for_api() -> QuerySet[Period]:
    return Period.objects.select_related("fiscal_year").order_by("start_date", "-end_date", "pk")

"""Who may see and do what with customers, follow-ups and sales records.

- salesperson: the records in which they hold a credit, their own customers and
  their own follow-ups; they enter records credited (at least partly) to them;
- supervisor: also those of the people in the units they lead and below: records
  by the credit's team, customers by the owner's current team, follow-ups by the
  salesperson's current team;
- sales management department: everything, and enters or cancels any record;
- HR (and anybody else): nothing here.
Hidden objects answer 404 (the *_for_user helpers), forbidden actions 403.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from org.models import Membership, User
from org.permissions import (
    active_on_q,
    is_department,
    is_salesperson,
    led_unit_paths,
    subtree_q,
)
from sales.models import Customer, FollowUp, SalesCredit, SalesRecord


def _led_people_q(user, field: str) -> Q | None:
    """People currently members (or supervisors) of a unit the user leads or below."""
    paths = led_unit_paths(user)
    if not paths:
        return None
    led = Membership.objects.filter(active_on_q(_today()), subtree_q(paths, "unit__path"))
    return Q(**{f"{field}__in": led.values("user_id")})


def _today():
    from django.utils import timezone

    return timezone.localdate()


def can_manage_sales(user) -> bool:
    """Enter, import and cancel any record; see everything."""
    return is_department(user)


def visible_records(user) -> QuerySet[SalesRecord]:
    if not user.is_authenticated:
        return SalesRecord.objects.none()
    if can_manage_sales(user):
        return SalesRecord.objects.all()
    condition = SalesCredit.objects.filter(record_id=OuterRef("pk"), person_id=user.pk)
    visible = Q(Exists(condition))
    paths = led_unit_paths(user)
    if paths:
        visible |= Q(
            Exists(
                SalesCredit.objects.filter(subtree_q(paths, "team__path"), record_id=OuterRef("pk"))
            )
        )
    return SalesRecord.objects.filter(visible)


def visible_customers(user) -> QuerySet[Customer]:
    if not user.is_authenticated:
        return Customer.objects.none()
    if can_manage_sales(user):
        return Customer.objects.all()
    condition = Q(owner=user)
    led = _led_people_q(user, "owner_id")
    if led is not None:
        condition |= led
    return Customer.objects.filter(condition)


def visible_followups(user) -> QuerySet[FollowUp]:
    if not user.is_authenticated:
        return FollowUp.objects.none()
    if can_manage_sales(user):
        return FollowUp.objects.all()
    condition = Q(salesperson=user)
    led = _led_people_q(user, "salesperson_id")
    if led is not None:
        condition |= led
    return FollowUp.objects.filter(condition)


def _get(queryset, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def record_for_user(user, pk) -> SalesRecord:
    return _get(visible_records(user).select_related("customer", "period__fiscal_year"), pk)


def customer_for_user(user, pk) -> Customer:
    return _get(visible_customers(user).select_related("owner"), pk)


def followup_for_user(user, pk) -> FollowUp:
    return _get(visible_followups(user).select_related("customer", "salesperson"), pk)


def can_enter_record(user, credited_people) -> bool:
    """The department for anybody. A salesperson or supervisor for a record credited
    to themselves and/or to people of their current team(s) or of the units they
    lead; a supervisor need not hold a credit. HR and others: never."""
    if can_manage_sales(user):
        return True
    if not user.is_authenticated or not (is_salesperson(user) or led_unit_paths(user)):
        return False
    ids = {p.pk for p in credited_people}
    if not ids or (user.pk not in ids and not led_unit_paths(user)):
        return False
    others = ids - {user.pk}
    if not others:
        return True
    day = _today()
    own_teams = Membership.objects.filter(
        active_on_q(day), user=user, kind=Membership.Kind.MEMBER
    ).values("unit_id")
    allowed = Q(unit_id__in=own_teams)
    paths = led_unit_paths(user)
    if paths:
        allowed |= subtree_q(paths, "unit__path")
    reachable = set(
        Membership.objects.filter(active_on_q(day), allowed, user_id__in=others).values_list(
            "user_id", flat=True
        )
    )
    return others <= reachable


def can_enter_sales(user) -> bool:
    """Write customers, contacts, follow-ups and records at all: the department,
    salespeople and supervisors; not HR or anybody else."""
    return can_enter_record(user, [user])


def can_credit(user, people, already_credited=()) -> bool:
    """May the user credit a record to `people`? A new record: `can_enter_record`.
    A change keeps the people already credited (ids in `already_credited`) and may
    add those the user could credit on a new record. Nobody at all is left to the
    service, which refuses it with its own message."""
    people = {p.pk: p for p in people}
    if not people:
        return True
    old = set(already_credited)
    if not old:
        return can_enter_record(user, list(people.values()))
    added = [p for pk, p in people.items() if pk not in old]
    return not added or can_enter_record(user, [*added, user])


def can_change_record(user, record: SalesRecord) -> bool:
    """Change or cancel a visible record: the department, or a person holding a credit
    in it, or their supervisor (the record is in their subtree)."""
    if can_manage_sales(user):
        return True
    return visible_records(user).filter(pk=record.pk).exists()


def can_change_customer(user, customer: Customer) -> bool:
    """The owner, the owner's supervisor, the department."""
    if can_manage_sales(user) or customer.owner_id == user.pk:
        return True
    return bool(led_unit_paths(user)) and visible_customers(user).filter(pk=customer.pk).exists()


def can_change_followup(user, followup: FollowUp) -> bool:
    """The salesperson who made it, or the department."""
    return can_manage_sales(user) or followup.salesperson_id == user.pk


# --- whom the forms offer -------------------------------------------------------------


def _members_now() -> QuerySet[Membership]:
    return Membership.objects.filter(active_on_q(_today()), kind=Membership.Kind.MEMBER)


def creditable_people(user) -> QuerySet[User]:
    """Who the user may credit with a sale: for the department every current member of a
    team; for others themselves, the members of their own team(s) and of the units they
    lead (what sales.records.permissions.can_enter_record allows)."""
    if can_manage_sales(user):
        return User.objects.filter(pk__in=_members_now().values("user_id")).order_by("username")
    own_teams = _members_now().filter(user=user).values("unit_id")
    allowed = Q(unit_id__in=own_teams)
    paths = led_unit_paths(user)
    if paths:
        allowed |= subtree_q(paths, "unit__path")
    reachable = _members_now().filter(allowed).values("user_id")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=reachable)).order_by("username")


def possible_customer_owners(user) -> QuerySet[User]:
    """Who may own a customer the user creates: the department any current member of a
    team, a supervisor themselves and the people they lead, a salesperson themselves."""
    if can_manage_sales(user):
        return User.objects.filter(
            Q(pk__in=_members_now().values("user_id")) | Q(pk=user.pk)
        ).order_by("username")
    paths = led_unit_paths(user)
    if not paths:
        return User.objects.filter(pk=user.pk)
    led = _members_now().filter(subtree_q(paths, "unit__path")).values("user_id")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=led)).order_by("username")


def may_credit_self(user) -> bool:
    """A member of a team today (a new record is credited to them by default)."""
    return _members_now().filter(user=user).exists()

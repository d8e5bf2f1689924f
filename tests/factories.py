import datetime
from decimal import Decimal

import factory

from org.models import Membership, OrgUnit, User
from targets.models import Metric, Target


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            from org.services import user_set_roles

            user_set_roles(user=self, roles=list(extracted))


class OrgUnitFactory(factory.django.DjangoModelFactory):
    """Creates units through the service so path and depth are right."""

    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.LazyAttribute(lambda u: u.code.upper())
    kind = OrgUnit.Kind.TEAM
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from org.services import unit_create

        return unit_create(
            code=kwargs["code"],
            name=kwargs["name"],
            name_zh=kwargs.get("name_zh", ""),
            kind=kwargs["kind"],
            parent=kwargs.get("parent"),
        )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(OrgUnitFactory)
    kind = Membership.Kind.MEMBER
    start_date = datetime.date(2020, 1, 1)
    end_date = None


def grow_teams(org, teams: int, people_per_team: int):
    """`teams` more teams (grow-0, grow-1, … under SOUTH and EAST in turn, as "Grown n"),
    each led by a new supervisor (lead-n), and `people_per_team` new salespeople in each
    (p-n-i): yields (team, lead, person, i) for every person, whose memberships are the
    caller's to add."""
    for n in range(teams):
        parent = org.east if n % 2 else org.south
        team = OrgUnitFactory(code=f"grow-{n}", name=f"Grown {n}", parent=parent)
        lead = UserFactory(username=f"lead-{n}", roles=["supervisor"])
        MembershipFactory(user=lead, unit=team, kind=Membership.Kind.SUPERVISOR)
        for i in range(people_per_team):
            yield team, lead, UserFactory(username=f"p-{n}-{i}", roles=["salesperson"]), i


def revenue_metric(**fields) -> Metric:
    """The revenue metric (the sales' amounts), written straight to the database (no
    catalogue service); `fields` change what it is written with."""
    revenue = {
        "code": "revenue",
        "name": "Revenue",
        "name_zh": "收入",
        "unit": "currency",
        "source": "amount",
    }
    return Metric.objects.create(**(revenue | fields))


def new_customers_metric(**fields) -> Metric:
    """The new-customers metric (a count), as revenue_metric."""
    new_customers = {
        "code": "customers",
        "name": "New customers",
        "name_zh": "新客户",
        "unit": "count",
        "source": "new_customers",
        "position": 1,
    }
    return Metric.objects.create(**(new_customers | fields))


def make_target(metric, period, value, *, unit=None, person=None, team=None, **fields) -> Target:
    """A target of `value` for `unit`, or for `person` (in `team`), written straight to
    the database; `fields` as status or seasonality."""
    return Target.objects.create(
        metric=metric,
        period=period,
        unit=unit,
        person=person,
        team=team,
        value=Decimal(value),
        **fields,
    )

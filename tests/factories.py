import datetime

import factory

from org.models import Membership, OrgUnit, User


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

"""Who sees and does what with appraisal cycles (appraisal/cycles/permissions.py),
persona by persona. The rows are built directly with the ORM (no services), so these
rules are tested on their own:

    cycle "main" (EAST + SOUTH, Q1 2026): sam open, tina self-assessed, sue open,
    eve finalised, oscar released;
    cycle "south" (SOUTH only, Q2 2026): oscar open.

Membership is judged on the real today (the fixtures' memberships run from 2020).
"""

import datetime
import types

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from appraisal.cycles import permissions as perms
from appraisal.models import Appraisal, Cycle
from appraisal.template import services
from org.models import Membership
from tests.appraisal.helpers import TODAY, make_draft, make_year

WHEN = timezone.make_aware(datetime.datetime(2026, 4, 10, 10))


def user_of(org, persona):
    return AnonymousUser() if persona == "anonymous" else getattr(org, persona)


def _appraisal(cycle, person, unit, status):
    fields = {"cycle": cycle, "person": person, "unit": unit, "status": status}
    if status not in ("open", "self_assessed"):
        fields.update(rated_at=WHEN)
    if status not in ("open", "self_assessed", "rated"):
        fields.update(finalised_at=WHEN)
    if status in perms.RELEASED_STATUSES:
        fields.update(released_at=WHEN)
    if status in ("appealed", "resolved"):
        fields.update(appealed_at=WHEN)
    return Appraisal.objects.create(**fields)


def make_world(org, *, peers: bool = True):
    fy = make_year(2026)
    template = make_draft(org, code="cycle", year=fy, units=[org.east, org.south])
    if not peers:
        template.dimensions.update(rated_by_peers=False)  # a draft still changes
    template = services.template_publish(template=template, acting_user=org.department, today=TODAY)
    main = Cycle.objects.create(template=template, period=fy.quarters[0], opened_by=org.department)
    main.units.set([org.east, org.south])
    south = Cycle.objects.create(template=template, period=fy.quarters[1], opened_by=org.department)
    south.units.set([org.south])
    w = types.SimpleNamespace(fy=fy, template=template, main=main, south=south)
    w.sam = _appraisal(main, org.salesperson, org.team, "open")
    w.tina = _appraisal(main, org.teammate, org.team, "self_assessed")
    w.sue = _appraisal(main, org.supervisor, org.team, "open")
    w.eve = _appraisal(main, org.east2_person, org.team2, "finalised")
    w.oscar = _appraisal(main, org.other_salesperson, org.other_team, "released")
    w.oscar_south = _appraisal(south, org.other_salesperson, org.other_team, "open")
    return w


@pytest.fixture
def world(org):
    return make_world(org)


def fresh(appraisal):
    return Appraisal.objects.select_related("unit", "cycle__template").get(pk=appraisal.pk)


VISIBLE_APPRAISALS = {
    "department": {"sam", "tina", "sue", "eve", "oscar", "oscar_south"},
    "hr": {"eve", "oscar"},
    "admin": set(),
    "salesperson": {"sam"},
    "teammate": {"tina"},
    "east2_person": {"eve"},
    "other_salesperson": {"oscar", "oscar_south"},
    "supervisor": {"sam", "tina", "sue"},
    "other_supervisor": {"oscar", "oscar_south"},
    "regional": {"sam", "tina", "sue", "eve"},
    "anonymous": set(),
}


@pytest.mark.parametrize(("persona", "expected"), sorted(VISIBLE_APPRAISALS.items()))
def test_each_persona_sees_the_appraisals_the_rules_give_them(org, world, persona, expected):
    names = {name: getattr(world, name).pk for name in VISIBLE_APPRAISALS["department"]}
    seen = set(perms.visible_appraisals(user_of(org, persona)).values_list("pk", flat=True))
    assert seen == {names[n] for n in expected}


VISIBLE_CYCLES = {
    "department": {"main", "south"},
    "hr": {"main"},  # only "main" has a finalised appraisal
    "admin": set(),
    "salesperson": set(),
    "other_salesperson": set(),
    "supervisor": {"main"},
    "other_supervisor": {"main", "south"},
    "regional": {"main"},
    "anonymous": set(),
}


@pytest.mark.parametrize(("persona", "expected"), sorted(VISIBLE_CYCLES.items()))
def test_each_persona_sees_the_cycles_the_rules_give_them(org, world, persona, expected):
    seen = set(perms.visible_cycles(user_of(org, persona)).values_list("pk", flat=True))
    assert seen == {getattr(world, n).pk for n in expected}


def test_hidden_or_missing_cycles_and_appraisals_answer_404(org, world):
    assert perms.cycle_for_user(org.other_supervisor, world.south.pk) == world.south
    with pytest.raises(Http404):
        perms.cycle_for_user(org.supervisor, world.south.pk)
    with pytest.raises(Http404):
        perms.cycle_for_user(org.salesperson, world.main.pk)
    for missing in (999_999, "nonsense", None):
        with pytest.raises(Http404):
            perms.cycle_for_user(org.department, missing)
        with pytest.raises(Http404):
            perms.appraisal_for_user(org.department, missing)
    assert perms.appraisal_for_user(org.salesperson, world.sam.pk) == world.sam
    for persona, appraisal in [
        ("teammate", world.sam),  # a teammate does not read the appraisal
        ("other_supervisor", world.sam),
        ("supervisor", world.eve),  # another team of the same region
        ("hr", world.sam),  # not finalised
        ("anonymous", world.sam),
    ]:
        with pytest.raises(Http404):
            perms.appraisal_for_user(user_of(org, persona), appraisal.pk)


def test_the_leader_of_the_team_or_a_unit_above_rates_never_their_own(org, world):
    sam, tina, sue, eve = (fresh(a) for a in (world.sam, world.tina, world.sue, world.eve))
    assert perms.can_rate(org.supervisor, sam)
    assert perms.can_rate(org.supervisor, tina)  # self-assessed
    assert perms.can_rate(org.regional, sam)  # leads the region above
    assert not perms.can_rate(org.supervisor, sue)  # her own appraisal
    assert perms.can_rate(org.regional, sue)
    for persona in ("other_supervisor", "department", "hr", "teammate", "admin", "anonymous"):
        assert not perms.can_rate(user_of(org, persona), sam), persona
    # past the rating: rated, finalised
    assert not perms.can_rate(org.regional, eve)
    Appraisal.objects.filter(pk=sam.pk).update(status="rated", rated_at=WHEN)
    assert not perms.can_rate(org.supervisor, fresh(sam))
    assert perms.is_rater(org.supervisor, fresh(sam))


def test_a_supervisor_who_no_longer_leads_the_team_cannot_rate(org, world):
    today = timezone.localdate()
    Membership.objects.filter(user=org.supervisor, kind=Membership.Kind.SUPERVISOR).update(
        end_date=today - datetime.timedelta(days=1)
    )
    sue = type(org.supervisor).objects.get(pk=org.supervisor.pk)  # no cached paths
    assert not perms.can_rate(sue, fresh(world.sam))
    assert not perms.sees_ratings(sue, fresh(world.sam))
    assert set(perms.visible_appraisals(sue)) == {world.sue}
    # rating on a given day: she led the team then
    assert perms.can_rate(sue, fresh(world.sam), on=today - datetime.timedelta(days=2))


def test_only_the_person_self_assesses_and_only_while_open(org, world):
    assert perms.can_self_assess(org.salesperson, fresh(world.sam))
    assert not perms.can_self_assess(org.teammate, fresh(world.tina))  # already sent
    for persona in ("supervisor", "department", "teammate", "anonymous"):
        assert not perms.can_self_assess(user_of(org, persona), fresh(world.sam)), persona


def test_teammates_rate_as_peers_until_the_supervisor_submits(org, world):
    sam = fresh(world.sam)
    assert [d.name for d in perms.peer_dimensions(sam)] == ["Teamwork"]
    assert perms.can_peer_rate(org.teammate, sam)
    assert perms.can_peer_rate(org.salesperson, fresh(world.sue))  # the leader's own appraisal
    assert not perms.can_peer_rate(org.salesperson, sam)  # oneself
    assert not perms.can_peer_rate(org.supervisor, sam)  # the rater is no peer
    for persona in ("east2_person", "regional", "department", "hr", "anonymous"):
        assert not perms.can_peer_rate(user_of(org, persona), sam), persona
    Appraisal.objects.filter(pk=sam.pk).update(status="rated", rated_at=WHEN)
    assert not perms.can_peer_rate(org.teammate, fresh(sam))
    assert perms.is_peer(org.teammate, fresh(sam))


def test_without_peer_dimensions_nobody_rates_as_a_peer(org):
    world = make_world(org, peers=False)  # a published version's dimensions never change
    sam = fresh(world.sam)
    assert perms.peer_dimensions(sam) == []
    assert not perms.can_peer_rate(org.teammate, sam)
    with pytest.raises(Http404):
        perms.peer_appraisal_for_user(org.teammate, sam.pk)


def test_the_peer_form_is_found_by_peers_and_those_who_see_the_appraisal(org, world):
    assert perms.peer_appraisal_for_user(org.teammate, world.sam.pk) == world.sam
    # visible anyway (the form answers 403 for them: can_peer_rate is False)
    assert perms.peer_appraisal_for_user(org.supervisor, world.sam.pk) == world.sam
    assert perms.peer_appraisal_for_user(org.salesperson, world.sam.pk) == world.sam
    for persona in ("east2_person", "other_salesperson", "other_supervisor", "hr", "anonymous"):
        with pytest.raises(Http404):
            perms.peer_appraisal_for_user(user_of(org, persona), world.sam.pk)
    for missing in (999_999, "nonsense", None):
        with pytest.raises(Http404):
            perms.peer_appraisal_for_user(org.teammate, missing)


# Who may or may not see an appraisal's ratings and self-assessment.
LOOKERS = [
    "department",
    "hr",
    "admin",
    "salesperson",
    "teammate",
    "supervisor",
    "regional",
    "other_supervisor",
    "anonymous",
]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", {"department", "supervisor", "regional"}),
        ("rated", {"department", "supervisor", "regional"}),
        ("finalised", {"department", "supervisor", "regional", "hr"}),
        ("released", {"department", "supervisor", "regional", "hr", "salesperson"}),
        ("appealed", {"department", "supervisor", "regional", "hr", "salesperson"}),
    ],
)
def test_ratings_are_seen_by_raters_and_department_hr_once_final_the_person_once_released(
    org, world, status, expected
):
    appraisal = _appraisal(
        Cycle.objects.create(
            template=world.template, period=world.fy.quarters[2], opened_by=org.department
        ),
        org.salesperson,
        org.team,
        status,
    )
    appraisal = fresh(appraisal)
    seeing = {p for p in LOOKERS if perms.sees_ratings(user_of(org, p), appraisal)}
    assert seeing == expected


def test_the_self_assessment_is_seen_by_the_person_the_raters_and_the_department(org, world):
    sam = fresh(world.sam)
    seeing = {
        p for p in LOOKERS if p != "admin" and perms.sees_self_assessment(user_of(org, p), sam)
    }
    assert seeing == {"department", "salesperson", "supervisor", "regional"}
    # the leader's own self-assessment: herself and the region, not as her own rater
    sue = fresh(world.sue)
    assert perms.sees_self_assessment(org.supervisor, sue)
    assert perms.sees_self_assessment(org.regional, sue)
    assert not perms.sees_self_assessment(org.teammate, sue)


@pytest.mark.parametrize(
    ("persona", "run", "manage", "export"),
    [
        ("department", True, True, True),
        ("hr", False, False, True),
        ("admin", False, False, False),
        ("supervisor", False, False, False),
        ("regional", False, False, False),
        ("salesperson", False, False, False),
        ("anonymous", False, False, False),
    ],
)
def test_roles(org, persona, run, manage, export):
    user = user_of(org, persona)
    assert perms.can_run_cycles(user) is run
    assert perms.can_manage(user) is manage
    assert perms.can_export_results(user) is export


def test_deciding_for_many_appraisals_costs_two_queries_led_units_and_roles(
    org, world, django_assert_max_num_queries
):
    appraisals = list(Appraisal.objects.select_related("unit", "cycle__template"))
    rita = type(org.regional).objects.get(pk=org.regional.pk)
    with django_assert_max_num_queries(2):  # the led units, the roles: both cached
        answers = [perms.can_rate(rita, a) for a in appraisals]
        [perms.sees_ratings(rita, a) for a in appraisals]
    assert answers.count(True) == 3  # sam, tina, sue (eve finalised; oscar not hers)

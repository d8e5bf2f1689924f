"""Helpers shared by the appraisal cycle tests: a published quarterly template with
one dimension per scoring family, a cycle opened on it, and helpers pushing an
appraisal along its workflow (self-assessed, rated, finalised, released, appealed).

Dates: the template is published on `helpers.TODAY` (2025-12-01) and applies from
FY2026 Q1 (2026-01-01 .. 2026-03-31). A cycle is opened during the quarter
(`OPEN_DAY`), rated during it (`RATE_NOW`) and finalised after it ends
(`AFTER_END`). Every service gets an explicit `today`/`now`, so the tests are dated.

The cycle's population is EAST + SOUTH, so the appraised are sam, tina and sue
(T-EAST-1, rated by sue except sue herself, rated by rita), eve (T-EAST-2, rated by
rita) and oscar (T-SOUTH-1, rated by otto).

Without figures (no target, no satisfaction response) the attainment and
satisfaction dimensions have no score: `finalise()` adjusts them first (as the
department would in calibration) unless `adjust_missing=False`.
"""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

from django.utils import timezone

from appraisal.cycles import services as cycles
from appraisal.models import Appraisal, AppraisalTemplate, Cycle, Dimension
from appraisal.template import services
from tests.appraisal.helpers import (
    BANDS,
    LINEAR_CURVE,
    SATISFACTION_CURVE,
    SCALE,
    TODAY,
    make_draft,
    make_metric,
    make_year,
)

PUBLISH_DAY = TODAY  # 2025-12-01, before Q1 2026 starts
OPEN_DAY = datetime.date(2026, 2, 2)  # during Q1 2026
AFTER_END = datetime.date(2026, 4, 10)  # Q1 2026 has ended


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """An aware datetime on `day` (for the services' `now`)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


SELF_NOW = at(datetime.date(2026, 2, 10))
RATE_NOW = at(datetime.date(2026, 3, 20))
FINALISE_NOW = at(AFTER_END)
RELEASE_NOW = at(datetime.date(2026, 4, 15))
ACK_NOW = at(datetime.date(2026, 4, 18))
APPEAL_NOW = at(datetime.date(2026, 4, 18))
RESOLVE_NOW = at(datetime.date(2026, 4, 25))

# Dimension names of the cycle template (weights 40/20/20/20).
ATTAINMENT = "Revenue attainment"
SATISFACTION = "Customer satisfaction"
ATTITUDE = "Work attitude"  # rated, with a self-assessment
TEAMWORK = "Teamwork"  # rated, with a self-assessment and peers


def cycle_dimension_specs(metric) -> list[dict]:
    return [
        {
            "name": ATTAINMENT,
            "name_zh": "营业收入达成率",
            "weight": Decimal("40"),
            "method": "attainment",
            "metric": metric,
            "curve": copy.deepcopy(LINEAR_CURVE),
        },
        {
            "name": SATISFACTION,
            "name_zh": "客户满意度",
            "weight": Decimal("20"),
            "method": "satisfaction",
            "curve": copy.deepcopy(SATISFACTION_CURVE),
        },
        {
            "name": ATTITUDE,
            "name_zh": "工作态度",
            "weight": Decimal("20"),
            "method": "rated",
            "scale": copy.deepcopy(SCALE),
            "rated_by_self": True,
        },
        {
            "name": TEAMWORK,
            "name_zh": "团队协作",
            "weight": Decimal("20"),
            "method": "rated",
            "scale": copy.deepcopy(SCALE),
            "rated_by_self": True,
            "rated_by_peers": True,
        },
    ]


def make_cycle_template(
    org, *, code: str = "cycle", units=None, specs=None, year=None
) -> AppraisalTemplate:
    """A quarterly template for EAST + SOUTH from Q1 2026, published on PUBLISH_DAY."""
    year = year or make_year()
    template = make_draft(
        org,
        code=code,
        year=year,
        units=units if units is not None else [org.east, org.south],
        dimensions=False,
        bands=False,
    )
    metric = make_metric(acting_user=org.department)
    for position, fields in enumerate(specs or cycle_dimension_specs(metric)):
        services.dimension_save(
            template=template, acting_user=org.department, position=position, **fields
        )
    services.bands_save(template=template, bands=copy.deepcopy(BANDS), acting_user=org.department)
    return services.template_publish(
        template=template, acting_user=org.department, today=PUBLISH_DAY
    )


def make_cycle(
    org, *, today: datetime.date = OPEN_DAY, template=None, period=None, units=None, code="cycle"
) -> Cycle:
    """A cycle for Q1 2026 opened by the department on `today` (figures not computed:
    call cycles.cycle_compute or `compute(cycle)`)."""
    year = make_year()
    template = template or make_cycle_template(org, code=code, year=year)
    return cycles.cycle_open(
        template=template,
        period=period or year.quarters[0],
        units=units,
        acting_user=org.department,
        today=today,
    )


def give_figures(
    org,
    person,
    *,
    target: str | None = "1000",
    sold: str | None = "900",
    satisfaction=(4, 5),
    year=None,
) -> None:
    """Sales data for `person` in Q1 2026: a revenue target, one sale of `sold` on
    2026-02-10 (100 % credited) and satisfaction responses with the given scores on
    2026-02-20. 1000 / 900 -> attainment 90 %, linear curve -> score 90; (4, 5) ->
    average 4.50 -> score 100."""
    from sales.models import SatisfactionResponse
    from targets.services import target_set
    from tests.sales.helpers import customer, sale

    year = year or make_year()
    quarter = year.quarters[0]
    metric = make_metric(acting_user=org.department)
    if target is not None:
        target_set(
            metric=metric, period=quarter, value=target, person=person, acting_user=org.department
        )
    cust = customer(person, name=f"Customer of {person.username}")
    if sold is not None:
        sale(datetime.date(2026, 2, 10), cust, sold, [(person, 100)], acting_user=person)
    february = year.months[1]
    SatisfactionResponse.objects.bulk_create(
        SatisfactionResponse(
            customer=cust,
            salesperson=person,
            period=february,
            answered_on=datetime.date(2026, 2, 20),
            score=score,
        )
        for score in satisfaction
    )


def compute(cycle: Cycle, *, today: datetime.date = AFTER_END) -> int:
    return cycles.cycle_compute(cycle_id=cycle.pk, today=today)


def dimensions(cycle_or_appraisal) -> dict[str, Dimension]:
    """{dimension name: Dimension} of the cycle's template."""
    cycle = getattr(cycle_or_appraisal, "cycle", cycle_or_appraisal)
    return {d.name: d for d in Dimension.objects.filter(template_id=cycle.template_id)}


def appraisal_of(cycle: Cycle, person) -> Appraisal:
    return Appraisal.objects.get(cycle=cycle, person=person)


def reload(appraisal: Appraisal) -> Appraisal:
    return Appraisal.objects.get(pk=appraisal.pk)


def rater_for(org, appraisal: Appraisal):
    """The supervisor who rates the appraisal in the standard organisation."""
    if appraisal.person_id == org.supervisor.pk:
        return org.regional
    if appraisal.unit_id == org.team.pk:
        return org.supervisor
    if appraisal.unit_id == org.other_team.pk:
        return org.other_supervisor
    return org.regional


def self_assess(
    appraisal: Appraisal, *, levels=(4, 4), submit: bool = True, now=SELF_NOW
) -> Appraisal:
    """The person's self-assessment (attitude, teamwork levels), submitted."""
    dims = dimensions(appraisal)
    entries = {
        dims[ATTITUDE].pk: (levels[0], ""),
        dims[TEAMWORK].pk: (levels[1], ""),
    }
    cycles.self_assessment_save(
        appraisal=appraisal, entries=entries, submit=submit, acting_user=appraisal.person, now=now
    )
    return reload(appraisal)


def rate(
    org,
    appraisal: Appraisal,
    *,
    levels=(4, 3),
    comments=("Reliable.", "Helps others."),
    rater=None,
    submit: bool = True,
    now=RATE_NOW,
) -> Appraisal:
    """The supervisor's rating (attitude, teamwork levels), submitted: status `rated`."""
    dims = dimensions(appraisal)
    entries = {
        dims[ATTITUDE].pk: (levels[0], comments[0]),
        dims[TEAMWORK].pk: (levels[1], comments[1]),
    }
    cycles.rating_save(
        appraisal=appraisal,
        entries=entries,
        submit=submit,
        acting_user=rater or rater_for(org, appraisal),
        now=now,
    )
    return reload(appraisal)


def adjust_missing(org, appraisal: Appraisal, *, score: Decimal = Decimal("75")) -> None:
    """The department gives every dimension without a score one, with a reason."""
    for row in appraisal.scores.select_related("dimension"):
        if row.final_score is None:
            cycles.score_adjust(
                appraisal=appraisal,
                dimension_id=row.dimension_id,
                new_score=score,
                reason=f"No data for {row.dimension.name}: scored in calibration.",
                acting_user=org.department,
            )


def finalise(
    org,
    appraisal: Appraisal,
    *,
    adjust: bool = True,
    today: datetime.date = AFTER_END,
    now=FINALISE_NOW,
):
    """Rated (if not yet), missing scores adjusted, finalised: returns the reloaded
    appraisal (its AppraisalResult version 1 is `appraisal.results.get()`)."""
    appraisal = reload(appraisal)
    if appraisal.status in (Appraisal.Status.OPEN, Appraisal.Status.SELF_ASSESSED):
        appraisal = rate(org, appraisal)
    if adjust:
        adjust_missing(org, appraisal)
    cycles.appraisal_finalise(
        appraisal=reload(appraisal), acting_user=org.department, today=today, now=now
    )
    return reload(appraisal)


def release(org, appraisal: Appraisal, *, now=RELEASE_NOW) -> Appraisal:
    """Finalised (if not yet) and released (the whole cycle's finalised appraisals)."""
    appraisal = reload(appraisal)
    if appraisal.finalised_at is None:
        appraisal = finalise(org, appraisal)
    cycles.cycle_release(cycle=appraisal.cycle, acting_user=org.department, now=now)
    return reload(appraisal)


def acknowledge(org, appraisal: Appraisal, *, now=ACK_NOW) -> Appraisal:
    appraisal = reload(appraisal)
    if appraisal.released_at is None:
        appraisal = release(org, appraisal)
    cycles.appraisal_acknowledge(appraisal=appraisal, acting_user=appraisal.person, now=now)
    return reload(appraisal)


def appeal(
    org,
    appraisal: Appraisal,
    *,
    reason: str = "My teamwork was better than rated.",
    now=APPEAL_NOW,
) -> Appraisal:
    """Released (if not yet) and appealed by the person."""
    appraisal = reload(appraisal)
    if appraisal.released_at is None:
        appraisal = release(org, appraisal)
    cycles.appraisal_appeal(
        appraisal=appraisal, reason=reason, acting_user=appraisal.person, now=now
    )
    return reload(appraisal)


def resolve_changed(
    org,
    appraisal: Appraisal,
    *,
    teamwork: Decimal = Decimal("90"),
    reason: str = "Peers' feedback confirms better teamwork.",
    now=RESOLVE_NOW,
):
    """Appealed (if not yet) and resolved with a new teamwork score: returns
    (appraisal reloaded, the new AppraisalResult)."""
    appraisal = reload(appraisal)
    if appraisal.status != Appraisal.Status.APPEALED:
        appraisal = appeal(org, appraisal)
    result = cycles.appeal_resolve(
        appraisal=appraisal,
        outcome="changed",
        reason=reason,
        changes={dimensions(appraisal)[TEAMWORK].pk: teamwork},
        acting_user=org.department,
        now=now,
    )
    return reload(appraisal), result

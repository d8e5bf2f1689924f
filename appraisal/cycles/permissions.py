"""Who may see and do what with appraisal cycles and appraisals.

- sales management department: every cycle and appraisal; the only one who opens
  cycles, adjusts scores in calibration, finalises, releases and resolves appeals;
- HR: the cycles with a finalised appraisal, and the finalised appraisals (ratings
  included), to read and export;
- supervisor: the cycles with an appraisal in a unit they lead today (or below it),
  those appraisals, and their own; they rate the appraisals of the units they lead
  (never their own) until they submit the rating;
- salesperson: their own appraisal (self-assessment while it is open; the ratings
  and the result once released) and, as a teammate, the peer rating form of the
  others in their team (never the appraisal itself).

A hidden cycle or appraisal answers 404 (the same as a missing one); a visible one
with a forbidden action answers 403. "Today" is timezone.localdate() unless given.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from appraisal.models import FINAL_STATUSES, Appraisal, Cycle, Dimension
from appraisal.template.permissions import member_team_paths
from org.permissions import is_department, is_hr, led_unit_paths, subtree_q

# The statuses in which the supervisor (and teammates) may still rate.
RATING_STATUSES = (Appraisal.Status.OPEN, Appraisal.Status.SELF_ASSESSED)
# The statuses in which the person sees the ratings and the result.
RELEASED_STATUSES = (
    Appraisal.Status.RELEASED,
    Appraisal.Status.ACKNOWLEDGED,
    Appraisal.Status.APPEALED,
    Appraisal.Status.RESOLVED,
)

APPRAISAL_RELATED = (
    "cycle__template",
    "cycle__period__fiscal_year",
    "person",
    "unit",
    "rated_by",
)


# --- roles ---------------------------------------------------------------------------------


def can_run_cycles(user) -> bool:
    """Open cycles, recompute their figures."""
    return is_department(user)


def can_manage(user) -> bool:
    """Adjust scores in calibration, finalise, release, resolve appeals."""
    return is_department(user)


def can_export_results(user) -> bool:
    return is_hr(user) or is_department(user)


# --- cycles ----------------------------------------------------------------------------------


def visible_cycles(user, on: datetime.date | None = None) -> QuerySet[Cycle]:
    """Department: all; HR: those with a finalised appraisal; supervisors: those with an
    appraisal in a unit they lead (or below); anyone else: none."""
    if not user.is_authenticated:
        return Cycle.objects.none()
    if is_department(user):
        return Cycle.objects.all()
    condition = Q()
    if is_hr(user):
        condition |= Q(
            pk__in=Appraisal.objects.filter(finalised_at__isnull=False).values("cycle_id")
        )
    paths = led_unit_paths(user, on)
    if paths:
        condition |= Q(
            pk__in=Appraisal.objects.filter(subtree_q(paths, "unit__path")).values("cycle_id")
        )
    if not condition:
        return Cycle.objects.none()
    return Cycle.objects.filter(condition)


def cycle_for_user(user, pk) -> Cycle:
    """The cycle, or 404 when it is missing or hidden from `user`."""
    try:
        return (
            visible_cycles(user)
            .select_related("template", "period__fiscal_year", "opened_by")
            .get(pk=pk)
        )
    except (Cycle.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- appraisals ---------------------------------------------------------------------------


def visible_appraisals(user, on: datetime.date | None = None) -> QuerySet[Appraisal]:
    """Department: all; HR: the finalised ones; supervisors: those whose team lies in a
    unit they lead today (or below), and their own; everyone else: their own."""
    if not user.is_authenticated:
        return Appraisal.objects.none()
    if is_department(user):
        return Appraisal.objects.all()
    condition = Q(person=user)
    if is_hr(user):
        condition |= Q(finalised_at__isnull=False)
    paths = led_unit_paths(user, on)
    if paths:
        condition |= subtree_q(paths, "unit__path")
    return Appraisal.objects.filter(condition)


def appraisal_for_user(user, pk) -> Appraisal:
    """The appraisal (with cycle, template, period, person, team and rater), or 404 when
    it is missing or hidden from `user`."""
    try:
        return visible_appraisals(user).select_related(*APPRAISAL_RELATED).get(pk=pk)
    except (Appraisal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_own(user, appraisal: Appraisal) -> bool:
    return user.is_authenticated and appraisal.person_id == user.pk


def is_rater(user, appraisal: Appraisal, on: datetime.date | None = None) -> bool:
    """`user` leads the appraisal's team or a unit above it today, and it is not their own
    appraisal (whatever its status)."""
    if not user.is_authenticated or is_own(user, appraisal):
        return False
    paths = led_unit_paths(user, on)
    return bool(paths) and any(appraisal.unit.path.startswith(p) for p in paths)


def can_rate(user, appraisal: Appraisal, on: datetime.date | None = None) -> bool:
    """A rater (see is_rater) while the appraisal is open or self-assessed: submitting
    the rating closes it."""
    return appraisal.status in RATING_STATUSES and is_rater(user, appraisal, on)


def can_self_assess(user, appraisal: Appraisal) -> bool:
    """The person, while the self-assessment is open."""
    return is_own(user, appraisal) and appraisal.status == Appraisal.Status.OPEN


def peer_dimensions(appraisal_or_template) -> list[Dimension]:
    """The rated dimensions teammates rate too (uses prefetched dimensions if any)."""
    template = getattr(appraisal_or_template, "cycle", None)
    template = template.template if template is not None else appraisal_or_template
    return [
        d
        for d in template.dimensions.all()
        if d.method == Dimension.Method.RATED and d.rated_by_peers
    ]


def is_peer(user, appraisal: Appraisal, on: datetime.date | None = None) -> bool:
    """A teammate: a member of the appraisal's team today, not the person, and not one
    who rates it as supervisor (one voice each: the supervisor's is the rating)."""
    if not user.is_authenticated or is_own(user, appraisal):
        return False
    day = on or timezone.localdate()
    if appraisal.unit.path not in member_team_paths(user, day):
        return False
    return not is_rater(user, appraisal, day)


def can_peer_rate(user, appraisal: Appraisal, on: datetime.date | None = None) -> bool:
    """A peer (see is_peer) of an appraisal whose template has peer-rated dimensions,
    until the supervisor submits the rating."""
    return (
        appraisal.status in RATING_STATUSES
        and is_peer(user, appraisal, on)
        and bool(peer_dimensions(appraisal))
    )


def peer_appraisal_for_user(user, pk) -> Appraisal:
    """The appraisal for the peer rating form: a peer gets it (whatever its status: the
    form then answers 403 once closed, see can_peer_rate); someone who may see the
    appraisal anyway gets it too (403 on the form); anyone else 404. A peer does not
    thereby see the appraisal itself (appraisal_for_user stays 404)."""
    if not user.is_authenticated:
        raise Http404
    try:
        appraisal = Appraisal.objects.select_related(*APPRAISAL_RELATED).get(pk=pk)
    except (Appraisal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if is_peer(user, appraisal) and peer_dimensions(appraisal):
        return appraisal
    if visible_appraisals(user).filter(pk=appraisal.pk).exists():
        return appraisal
    raise Http404


def sees_ratings(user, appraisal: Appraisal) -> bool:
    """The supervisor's levels, comments and scores, the adjustments, the total and the
    grade: the department, the raters, HR once finalised, the person once released."""
    if not user.is_authenticated:
        return False
    if is_department(user) or is_rater(user, appraisal):
        return True
    if is_hr(user) and appraisal.finalised_at is not None:
        return True
    return is_own(user, appraisal) and appraisal.status in RELEASED_STATUSES


def sees_self_assessment(user, appraisal: Appraisal) -> bool:
    """The person, the raters and the department."""
    return is_own(user, appraisal) or is_department(user) or is_rater(user, appraisal)


def is_final(appraisal: Appraisal) -> bool:
    return appraisal.status in FINAL_STATUSES

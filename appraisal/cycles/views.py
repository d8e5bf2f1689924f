"""Pages of appraisal cycles: the list and opening a cycle, the overview with its
actions (recompute the figures, finalise the ready appraisals, release), the
calibration, one appraisal's explained working, the self-assessment, the
supervisor's and the peers' rating forms, the calibration adjustment, the
person's acknowledgement or appeal, the department's resolution, and "To rate".

Thin: access through `appraisal.cycles.permissions` (hidden → 404, visible but
forbidden → 403), reads through `appraisal.cycles.selectors`, writes through
`appraisal.cycles.services`, whose refusals (`DomainError`) are shown as form
errors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from appraisal.cycles import permissions as access
from appraisal.cycles import selectors as reads
from appraisal.cycles import services
from appraisal.cycles.forms import (
    AdjustForm,
    AppealForm,
    CycleOpenForm,
    RatingForm,
    RatingItem,
    ResolveForm,
    rating_levels,
)
from appraisal.models import Appraisal, Dimension
from core.permissions import require
from core.views import attempt, form_page, form_status, perform, post_form, saved
from org.permissions import is_department, is_hr, is_supervisor


def _language() -> str:
    return translation.get_language() or "en"


def _reads_cycles(user) -> bool:
    """The cycle list: the department, HR and supervisors (salespeople find their own
    appraisals on "How I will be appraised")."""
    return is_department(user) or is_hr(user) or is_supervisor(user)


# --- cycles ---------------------------------------------------------------------------------


@login_required
def cycle_list(request):
    require(_reads_cycles(request.user))
    return render(
        request,
        "appraisal/cycles/cycle_list.html",
        {
            "cycles": reads.cycle_list(request.user),
            "manages": access.can_run_cycles(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_new(request):
    require(access.can_run_cycles(request.user))
    return form_page(
        request,
        CycleOpenForm(request.POST or None),
        lambda data: services.cycle_open(
            template=data["template"],
            period=data["period"],
            units=list(data["units"]) or None,
            acting_user=request.user,
        ),
        page="appraisal/cycles/cycle_form.html",
        then=lambda cycle: saved(
            request,
            _(
                "The cycle is open: each salesperson has an appraisal and is notified. "
                "Their figures are being computed."
            ),
            "appraisal:cycle-detail",
            pk=cycle.pk,
        ),
    )


@login_required
def cycle_detail(request, pk):
    cycle = access.cycle_for_user(request.user, pk)
    overview = reads.cycle_overview(cycle=cycle, user=request.user)
    return render(
        request,
        "appraisal/cycles/cycle_detail.html",
        {
            "cycle": cycle,
            "overview": overview,
            "rows": [(row, access.can_rate(request.user, row.appraisal)) for row in overview.rows],
            "manages": access.can_manage(request.user),
            "runs": access.can_run_cycles(request.user),
        },
    )


def _run_cycle_action(request, cycle, action: str) -> list[str]:
    """Compute, finalise or release the cycle, with the message saying what was done; the
    appraisals a finalisation left out (their problems)."""
    problems: list[str] = []
    if action == "compute":
        count = services.cycle_compute(cycle_id=cycle.pk)
        messages.success(
            request,
            ngettext(
                "The figures of %(count)s appraisal are recomputed.",
                "The figures of %(count)s appraisals are recomputed.",
                count,
            )
            % {"count": count},
        )
    elif action == "finalise":
        count, problems = services.cycle_finalise(cycle=cycle, acting_user=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)s appraisal is finalised.",
                "%(count)s appraisals are finalised.",
                count,
            )
            % {"count": count},
        )
    else:
        count = services.cycle_release(cycle=cycle, acting_user=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)s result is released; the person is notified and can read the "
                "explained result.",
                "%(count)s results are released; each person is notified and can read "
                "the explained result.",
                count,
            )
            % {"count": count},
        )
    return problems


def _cycle_action(request, pk, *, action: str):
    """The confirmation page (GET) and the action (POST) of the overview's buttons."""
    cycle = access.cycle_for_user(request.user, pk)
    if action == "compute":
        require(access.can_run_cycles(request.user))
    else:
        require(access.can_manage(request.user))
    problems: list[str] = []
    error = ""
    if request.method == "POST":
        done = attempt(lambda: _run_cycle_action(request, cycle, action))
        error = done.message
        problems = done.value or []
        if done and not problems:
            return redirect("appraisal:cycle-detail", pk=cycle.pk)
    return render(
        request,
        "appraisal/cycles/cycle_action.html",
        {
            "cycle": cycle,
            "action": action,
            "problems": problems,
            "error": error,
            "done": request.method == "POST" and not error,
            "appeal_days": settings.APPRAISAL_APPEAL_DAYS,
        },
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_compute(request, pk):
    return _cycle_action(request, pk, action="compute")


@login_required
@require_http_methods(["GET", "POST"])
def cycle_finalise(request, pk):
    return _cycle_action(request, pk, action="finalise")


@login_required
@require_http_methods(["GET", "POST"])
def cycle_release(request, pk):
    return _cycle_action(request, pk, action="release")


@login_required
def calibration(request, pk):
    cycle = access.cycle_for_user(request.user, pk)
    require(access.can_manage(request.user))
    data = reads.calibration(cycle=cycle)
    return render(
        request,
        "appraisal/cycles/calibration.html",
        {"cycle": cycle, "calibration": data, "grade_chart": _grade_chart(data)},
    )


# Bar colours of the grades, best first (Bootstrap's palette).
GRADE_COLOURS = ("#198754", "#20c997", "#0d6efd", "#ffc107", "#dc3545", "#6c757d", "#adb5bd")


def _grade_chart(data) -> dict | None:
    """The share (%) of each grade per supervisor and overall, for Chart.js; None when
    nothing is graded yet."""
    groups = [*data.raters, data.overall]
    if not data.overall.count or not data.bands:
        return None
    datasets = []
    for index, band in enumerate(data.bands):
        shares = []
        for group in groups:
            graded = sum(group.grades.values())
            count = group.grades.get(band.grade, 0)
            shares.append(round(100 * count / graded, 1) if graded else 0)
        datasets.append(
            {
                "label": band.grade,
                "data": shares,
                "backgroundColor": GRADE_COLOURS[min(index, len(GRADE_COLOURS) - 1)],
            }
        )
    return {"labels": [group.label for group in groups], "datasets": datasets}


# --- one appraisal ----------------------------------------------------------------------------


def _actions(user, appraisal: Appraisal) -> dict:
    """What the signed-in user may do with the appraisal now (the buttons shown; the
    services check again)."""
    own = access.is_own(user, appraisal)
    manages = access.can_manage(user)
    status = appraisal.status
    return {
        "self_assess": access.can_self_assess(user, appraisal),
        "rate": access.can_rate(user, appraisal),
        "adjust": manages and status == Appraisal.Status.RATED,
        "finalise": manages and status == Appraisal.Status.RATED,
        "acknowledge": own and status == Appraisal.Status.RELEASED,
        "appeal": own and status == Appraisal.Status.RELEASED,
        "resolve": manages and status == Appraisal.Status.APPEALED,
    }


def _appraisal_page(request, appraisal: Appraisal, template: str, extra: dict, status=200):
    view = reads.appraisal_view(appraisal=appraisal, user=request.user)
    return render(
        request,
        template,
        {
            "appraisal": appraisal,
            "view": view,
            "actions": _actions(request.user, appraisal),
            "manages": access.can_manage(request.user),
            **extra,
        },
        status=status,
    )


@login_required
def appraisal_detail(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    return _appraisal_page(request, appraisal, "appraisal/cycles/appraisal_detail.html", {})


def _rated_dimensions(appraisal: Appraisal) -> list[Dimension]:
    return [d for d in reads.template_dimensions(appraisal) if d.method == Dimension.Method.RATED]


def _rating_page(request, appraisal, *, kind: str, items, save, done_message):
    """The self-assessment, supervisor rating and peer rating forms: save a draft or
    submit (`kind` picks the wording)."""
    comment_help = {
        "supervisor": _("Required at the top and the bottom level of the scale."),
        "self": _("Optional."),
        "peer": _("Optional. Only the average of the peers' levels is shown to anyone."),
    }[kind]
    form = RatingForm(request.POST or None, items=items, comment_help=comment_help)
    submitting = RatingForm.submitting(request.POST)
    if kind == "peer":
        back = {"to": "appraisal:to-rate"}
    else:
        back = {"to": "appraisal:appraisal-detail", "pk": appraisal.pk}
    return form_page(
        request,
        form,
        lambda _data: save(form.entries(), submitting),
        page="appraisal/cycles/rating_form.html",
        context={"appraisal": appraisal, "kind": kind},
        then=lambda _saved: saved(request, done_message(submitting), **back),
    )


@login_required
@require_http_methods(["GET", "POST"])
def self_assessment(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.can_self_assess(request.user, appraisal))
    language = _language()
    rows = reads.rating_inputs(appraisal=appraisal)
    items = [
        RatingItem(
            dimension=d,
            levels=rating_levels(d, language),
            level=rows[d.pk].self_level if d.pk in rows else None,
            comment=rows[d.pk].self_comment if d.pk in rows else "",
        )
        for d in _rated_dimensions(appraisal)
        if d.rated_by_self
    ]

    def save(entries, submit):
        services.self_assessment_save(
            appraisal=appraisal, entries=entries, submit=submit, acting_user=request.user
        )

    def done(submit):
        if submit:
            return _("Your self-assessment is sent to your supervisor.")
        return _("Your self-assessment is saved; send it when it is complete.")

    return _rating_page(request, appraisal, kind="self", items=items, save=save, done_message=done)


@login_required
@require_http_methods(["GET", "POST"])
def rating(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.can_rate(request.user, appraisal))
    language = _language()
    rows = reads.rating_inputs(appraisal=appraisal)
    peers = reads.peer_aggregates(appraisal=appraisal)
    items = []
    for d in _rated_dimensions(appraisal):
        row = rows.get(d.pk)
        average, count = peers.get(d.pk, (None, 0))
        items.append(
            RatingItem(
                dimension=d,
                levels=rating_levels(d, language),
                level=row.level if row else None,
                comment=row.comment if row else "",
                self_level=row.self_level if row and d.rated_by_self else None,
                self_comment=row.self_comment if row and d.rated_by_self else "",
                peer_average=average,
                peer_count=count,
            )
        )

    def save(entries, submit):
        services.rating_save(
            appraisal=appraisal, entries=entries, submit=submit, acting_user=request.user
        )

    def done(submit):
        if submit:
            return _("The rating of %(name)s is submitted for calibration.") % {
                "name": appraisal.person.display_name
            }
        return _("The rating is saved as a draft; submit it when it is complete.")

    return _rating_page(
        request, appraisal, kind="supervisor", items=items, save=save, done_message=done
    )


@login_required
@require_http_methods(["GET", "POST"])
def peer_rating(request, pk):
    appraisal = access.peer_appraisal_for_user(request.user, pk)
    require(access.can_peer_rate(request.user, appraisal))
    language = _language()
    mine = reads.peer_ratings_by(appraisal=appraisal, rater=request.user)
    items = [
        RatingItem(
            dimension=d,
            levels=rating_levels(d, language),
            level=mine[d.pk][0] if d.pk in mine else None,
            comment=mine[d.pk][1] if d.pk in mine else "",
        )
        for d in access.peer_dimensions(appraisal)
    ]

    def save(entries, submit):
        services.peer_rating_save(appraisal=appraisal, entries=entries, acting_user=request.user)

    def done(submit):
        return _("Your rating of %(name)s is saved.") % {"name": appraisal.person.display_name}

    return _rating_page(request, appraisal, kind="peer", items=items, save=save, done_message=done)


@login_required
@require_http_methods(["GET", "POST"])
def adjust(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.can_manage(request.user))
    form = AdjustForm(
        request.POST or None,
        template_id=appraisal.cycle.template_id,
        initial={"dimension": request.GET.get("dimension")},
    )
    done = post_form(
        request,
        form,
        lambda data: services.score_adjust(
            appraisal=appraisal,
            dimension_id=data["dimension"].pk,
            new_score=data["new_score"],
            reason=data["reason"],
            acting_user=request.user,
        ),
    )
    if done:
        messages.success(
            request,
            _("The score of %(dimension)s is adjusted, with its reason.")
            % {"dimension": form.cleaned_data["dimension"].display_name},
        )
        if request.POST.get("next") == "calibration":
            return redirect("appraisal:cycle-calibration", pk=appraisal.cycle_id)
        return redirect("appraisal:appraisal-detail", pk=appraisal.pk)
    return _appraisal_page(
        request,
        appraisal,
        "appraisal/cycles/adjust_form.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
        status=form_status(done),
    )


@login_required
@require_POST
def appraisal_finalise(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.can_manage(request.user))
    done = perform(
        request, lambda: services.appraisal_finalise(appraisal=appraisal, acting_user=request.user)
    )
    if done:
        messages.success(
            request,
            _("The appraisal of %(name)s is finalised: its result is recorded and fixed.")
            % {"name": appraisal.person.display_name},
        )
    return redirect("appraisal:appraisal-detail", pk=appraisal.pk)


@login_required
@require_POST
def acknowledge(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.is_own(request.user, appraisal))
    done = perform(
        request,
        lambda: services.appraisal_acknowledge(appraisal=appraisal, acting_user=request.user),
    )
    if done:
        messages.success(request, _("You have acknowledged your result."))
    return redirect("appraisal:appraisal-detail", pk=appraisal.pk)


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.is_own(request.user, appraisal))
    form = AppealForm(request.POST or None)
    done = post_form(
        request,
        form,
        lambda data: services.appraisal_appeal(
            appraisal=appraisal,
            reason=data["reason"],
            acting_user=request.user,
        ),
    )
    if done:
        messages.success(
            request,
            _("Your appeal is sent to the sales management department."),
        )
        return redirect("appraisal:appraisal-detail", pk=appraisal.pk)
    return _appraisal_page(
        request,
        appraisal,
        "appraisal/cycles/appeal_form.html",
        {"form": form},
        status=form_status(done),
    )


@login_required
@require_http_methods(["GET", "POST"])
def resolve(request, pk):
    appraisal = access.appraisal_for_user(request.user, pk)
    require(access.can_manage(request.user))
    form = ResolveForm(request.POST or None, dimensions=reads.template_dimensions(appraisal))
    done = post_form(
        request,
        form,
        lambda data: services.appeal_resolve(
            appraisal=appraisal,
            outcome=data["outcome"],
            reason=data["reason"],
            changes=data["changes"],
            acting_user=request.user,
        ),
    )
    if done:
        result = done.value
        if result is None:
            messages.success(request, _("The appeal is resolved: the result stands."))
        else:
            messages.success(
                request,
                _(
                    "The appeal is resolved: version %(version)s of the result is "
                    "recorded (%(score)s, grade %(grade)s)."
                )
                % {"version": result.version, "score": result.score, "grade": result.grade},
            )
        return redirect("appraisal:appraisal-detail", pk=appraisal.pk)
    return _appraisal_page(
        request,
        appraisal,
        "appraisal/cycles/resolve_form.html",
        {"form": form},
        status=form_status(done),
    )


# --- tasks ---------------------------------------------------------------------------------


@login_required
def to_rate(request):
    """The appraisals the signed-in user rates as supervisor and as a peer, not yet
    submitted."""
    return render(
        request,
        "appraisal/cycles/to_rate.html",
        {
            "rating_tasks": reads.rating_tasks(request.user),
            "peer_tasks": reads.peer_tasks(request.user),
        },
    )

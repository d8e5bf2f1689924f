"""Pages of appraisal templates: the list, a template with its working in plain words,
the draft editor (template, dimensions, grades), publication, new versions, and the
salesperson's "How I will be appraised". Thin: access through
`appraisal.template.permissions`, reads through `appraisal.template.selectors`, writes through
`appraisal.template.services`; the plain-words working comes from `appraisal.template.domain`."""

from __future__ import annotations

import functools
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appraisal.cycles import selectors as selectors_cycles
from appraisal.models import AppraisalTemplate, Dimension
from appraisal.template import domain, permissions, selectors, services
from appraisal.template.forms import BandsForm, DimensionForm, TemplateForm
from core.errors import DomainError
from core.permissions import require
from core.views import attempt, form_page, perform, saved

HUNDRED = Decimal(100)


# --- the working in plain words -------------------------------------------------------------


def dimension_method_is_average(method: str) -> bool:
    return method == Dimension.Method.SATISFACTION


def _curve_unit(method: str) -> str:
    """What the raw value of a curve is measured in: a percentage (attainment, training
    participation) or an average rating from 1 to 5 (satisfaction), which has no unit."""
    return "" if method == Dimension.Method.SATISFACTION else "%"


def explain_dimension(dimension: Dimension, language: str) -> dict:
    """A dimension in plain words: its curve described, or its scale with the anchors in
    the reader's language; a draft's incomplete rule says what is wrong instead."""
    item = {"dimension": dimension, "curve": "", "levels": [], "problem": ""}
    try:
        if dimension.method == Dimension.Method.RATED:
            item["levels"] = [
                {"level": level.level, "score": level.score, "anchor": level.anchor_for(language)}
                for level in domain.parse_scale(dimension.scale or [])
            ]
        else:
            curve = domain.parse_curve(dimension.curve or {})
            item["curve"] = domain.describe_curve(curve, unit=_curve_unit(dimension.method))
    except DomainError as exc:  # a draft's rule is incomplete: say what is wrong
        item["problem"] = exc.message
    return item


def explain(template: AppraisalTemplate) -> dict:
    """Everything a page needs to show how `template` scores (from the prefetched
    dimensions and grades, no query)."""
    language = translation.get_language() or "en"
    chinese = language.startswith("zh")
    dimensions = list(template.dimensions.all())
    total = sum((d.weight for d in dimensions), Decimal(0))
    return {
        "template": template,
        "items": [explain_dimension(d, language) for d in dimensions],
        "bands": [
            {
                "band": band,
                "label": band.label_zh if chinese and band.label_zh else band.label,
            }
            for band in template.grades.all()
        ],
        "total_weight": total,
        "weights_ok": total == HUNDRED,
        "has_training": any(d.method == Dimension.Method.TRAINING for d in dimensions),
    }


# --- access ------------------------------------------------------------------------------------


def _detail(user, pk) -> AppraisalTemplate:
    """The template with its dimensions and grades, or 404 when hidden."""
    template = permissions.template_for_user(user, pk)
    return selectors.template_detail(template=template)


def _managed(request, pk) -> AppraisalTemplate:
    """A template the department manages: 404 when hidden, 403 for anyone else."""
    template = permissions.template_for_user(request.user, pk)
    require(permissions.can_manage_templates(request.user))
    return template


def _frozen(request, template: AppraisalTemplate):
    """The answer to any change of a published version: 400, with the way forward."""
    return render(
        request,
        "appraisal/template/frozen.html",
        {
            "template": template,
            "message": services.frozen_message(template),
        },
        status=400,
    )


def _is_published(template: AppraisalTemplate) -> bool:
    return template.status == AppraisalTemplate.Status.PUBLISHED


def _draft(view):
    """A page that changes a template the department manages (`_managed`), called with
    the template instead of its pk; a published version answers `_frozen`."""

    @functools.wraps(view)
    def wrapped(request, pk):
        template = _managed(request, pk)
        if _is_published(template):
            return _frozen(request, template)
        return view(request, template)

    return wrapped


# --- pages for everybody allowed ------------------------------------------------------------


@login_required
def template_list(request):
    templates = selectors.template_list(user=request.user)
    return render(
        request,
        "appraisal/template/template_list.html",
        {"templates": templates, "manages": permissions.can_manage_templates(request.user)},
    )


@login_required
def template_detail(request, pk):
    template = _detail(request.user, pk)
    manages = permissions.can_manage_templates(request.user)
    return render(
        request,
        "appraisal/template/template_detail.html",
        {
            **explain(template),
            "manages": manages,
            "editable": manages and not _is_published(template),
        },
    )


@login_required
def mine(request):
    """How I will be appraised: the signed-in person's appraisals (what to do, the
    released results), what they have to rate, and the published templates covering
    them now and the next ones already published."""
    templates = selectors.templates_for_person(person=request.user)
    return render(
        request,
        "appraisal/template/mine.html",
        {
            "workings": [explain(t) for t in templates],
            "today": timezone.localdate(),
            "appraisals": selectors_cycles.my_appraisals(request.user),
            "rating_tasks": selectors_cycles.rating_tasks(request.user),
            "peer_tasks": selectors_cycles.peer_tasks(request.user),
        },
    )


# --- the department's draft editor --------------------------------------------------------


def _template_values(data) -> dict:
    """The template form's values as the services take them."""
    names = ("name", "name_zh", "description", "period_kind", "applies_from")
    return {**{name: data[name] for name in names}, "units": list(data["units"])}


def _to_template(request, template, message: str):
    return saved(request, message, "appraisal:template-detail", pk=template.pk)


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    require(permissions.can_manage_templates(request.user))
    return form_page(
        request,
        TemplateForm.for_template(None, request.POST or None),
        lambda data: services.template_create(
            code=data["code"], acting_user=request.user, **_template_values(data)
        ),
        page="appraisal/template/template_form.html",
        context={"template": None},
        then=lambda template: _to_template(
            request,
            template,
            _("The draft %(code)s is created. Add its dimensions and grades.")
            % {"code": template.code},
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
@_draft
def template_edit(request, template):
    return form_page(
        request,
        TemplateForm.for_template(template, request.POST or None),
        lambda data: services.template_update(
            template=template, acting_user=request.user, **_template_values(data)
        ),
        page="appraisal/template/template_form.html",
        context={"template": template},
        then=lambda _saved: _to_template(request, template, _("The draft is saved.")),
    )


def _dimension_page(request, template, dimension=None):
    if _is_published(template):
        return _frozen(request, template)
    siblings = [d for d in template.dimensions.all() if dimension is None or d.pk != dimension.pk]
    others = sum((d.weight for d in siblings), Decimal(0))
    position = len(siblings) if dimension is None else 0
    form = DimensionForm.for_dimension(dimension, request.POST or None, position=position)
    return form_page(
        request,
        form,
        lambda _data: services.dimension_save(
            template=template,
            dimension=dimension,
            acting_user=request.user,
            **form.service_fields(),
        ),
        page="appraisal/template/dimension_form.html",
        context={
            "template": template,
            "dimension": dimension,
            "others_weight": others,
            "curve_methods": [m.value for m in Dimension.Method if m != Dimension.Method.RATED],
        },
        then=lambda dimension: _to_template(
            request,
            template,
            _("The dimension %(name)s is saved.") % {"name": dimension.display_name},
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dimension_new(request, pk):
    return _dimension_page(request, _managed(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def dimension_edit(request, pk, dimension_pk):
    template = _managed(request, pk)
    dimension = permissions.dimension_for_user(request.user, template, dimension_pk)
    return _dimension_page(request, template, dimension)


@login_required
@require_http_methods(["GET", "POST"])
def dimension_delete(request, pk, dimension_pk):
    template = _managed(request, pk)
    dimension = permissions.dimension_for_user(request.user, template, dimension_pk)
    if _is_published(template):
        return _frozen(request, template)
    if request.method == "POST":
        done = perform(
            request,
            lambda: services.dimension_delete(dimension=dimension, acting_user=request.user),
        )
        if done:
            messages.success(
                request, _("The dimension %(name)s is removed.") % {"name": dimension.display_name}
            )
        return redirect("appraisal:template-detail", pk=template.pk)
    return render(
        request,
        "appraisal/template/dimension_delete.html",
        {"template": template, "dimension": dimension},
    )


@login_required
@require_http_methods(["GET", "POST"])
@_draft
def bands(request, template):
    return form_page(
        request,
        BandsForm.for_template(template, template.grades.all(), request.POST or None),
        lambda data: services.bands_save(
            template=template, bands=data["bands"], acting_user=request.user
        ),
        page="appraisal/template/bands_form.html",
        context={"template": template},
        then=lambda _saved: _to_template(request, template, _("The grades are saved.")),
    )


@login_required
@require_http_methods(["GET", "POST"])
@_draft
def template_publish(request, template):
    """GET: what stops publication, or what publishing means. POST: publish."""
    template = selectors.template_detail(template=template)
    error = ""
    if request.method == "POST":
        done = attempt(
            lambda: services.template_publish(template=template, acting_user=request.user)
        )
        error = done.message
        if done:
            messages.success(
                request,
                _(
                    "Version %(version)s of %(code)s is published; the salespeople it covers are "
                    "notified."
                )
                % {"version": template.version, "code": template.code},
            )
            return redirect("appraisal:template-detail", pk=template.pk)
    return render(
        request,
        "appraisal/template/template_publish.html",
        {
            **explain(template),
            "problems": selectors.publication_problems(template=template),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def template_new_version(request, pk):
    template = _managed(request, pk)
    done = perform(
        request, lambda: services.template_new_version(template=template, acting_user=request.user)
    )
    if not done:
        return redirect("appraisal:template-detail", pk=template.pk)
    draft = done.value
    messages.success(
        request,
        _("Version %(version)s of %(code)s is a new draft. Choose the period it applies from.")
        % {"version": draft.version, "code": draft.code},
    )
    return redirect("appraisal:template-detail", pk=draft.pk)

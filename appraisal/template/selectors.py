"""Reads of appraisal templates, each in a fixed number of queries."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import AppraisalTemplate, Dimension
from appraisal.template import domain
from org.models import Membership
from org.permissions import (
    active_on_q,
    is_administrator,
    is_department,
    is_hr,
    led_unit_paths,
)


def with_parts(qs: QuerySet[AppraisalTemplate]) -> QuerySet[AppraisalTemplate]:
    """Templates with their period, publisher, population, dimensions (and metric) and
    grade bands: four queries however many templates."""
    return qs.select_related("applies_from__fiscal_year", "published_by").prefetch_related(
        "units",
        Prefetch("dimensions", queryset=Dimension.objects.select_related("metric")),
        "grades",
    )


def template_detail(*, template: AppraisalTemplate | int) -> AppraisalTemplate:
    """The template with its dimensions (and their metric), grade bands, population and
    first period, in four queries."""
    pk = template.pk if isinstance(template, AppraisalTemplate) else template
    return with_parts(AppraisalTemplate.objects.all()).get(pk=pk)


def dimension_specs(template: AppraisalTemplate) -> list[domain.DimensionSpec]:
    """What domain.check_template needs, from the (prefetched) dimensions."""
    return [
        domain.DimensionSpec(
            name=d.name,
            weight=d.weight,
            method=d.method,
            has_metric=d.metric_id is not None,
            curve=d.curve or None,
            scale=d.scale or None,
        )
        for d in template.dimensions.all()
    ]


def band_data(template: AppraisalTemplate) -> list[dict]:
    return [
        {"grade": b.grade, "min_score": b.min_score, "label": b.label, "label_zh": b.label_zh}
        for b in template.grades.all()
    ]


def training_data_available() -> bool:
    """Whether training participation is recorded, so that a training dimension can be
    scored. No app records it yet: False until the training app exists (it answers
    here from its own selectors then)."""
    return False


def publication_problems(
    *, template: AppraisalTemplate, today: datetime.date | None = None
) -> list[str]:
    """Everything that stops this version from being published today (empty when it can
    be): its status, its content (domain.check_template) and its first period, which
    must not have started and must come after that of the latest published version."""
    today = today or timezone.localdate()
    template = template_detail(template=template)
    if template.status != AppraisalTemplate.Status.DRAFT:
        return [
            _("Version %(version)s of %(name)s is already published.")
            % {"version": template.version, "name": template.name}
        ]
    problems = domain.check_template(
        dimensions=dimension_specs(template),
        bands=band_data(template),
        training_data=training_data_available(),
    )
    period = template.applies_from
    if period.start_date <= today:
        problems.append(
            _(
                "%(period)s has already started: a template is published before the first "
                "period it applies to. Choose a later period."
            )
            % {"period": period.label}
        )
    latest = (
        AppraisalTemplate.objects.filter(
            code=template.code, status=AppraisalTemplate.Status.PUBLISHED
        )
        .select_related("applies_from__fiscal_year")
        .order_by("-applies_from__start_date", "-version")
        .first()
    )
    if latest is not None and period.start_date <= latest.applies_from.start_date:
        problems.append(
            _(
                "Version %(version)s already applies from %(latest)s: this version must apply "
                "from a later period than %(latest)s."
            )
            % {"version": latest.version, "latest": latest.applies_from.label}
        )
    return problems


def _team_paths(person, on: datetime.date) -> list[str]:
    return list(
        Membership.objects.filter(active_on_q(on), user=person, kind=Membership.Kind.MEMBER)
        .values_list("unit__path", flat=True)
        .distinct()
    )


def _covers(template: AppraisalTemplate, paths) -> bool:
    """Some team at `paths` lies in the template's population."""
    return any(p.startswith(u.path) for u in template.units.all() for p in paths)


def _overlaps(template: AppraisalTemplate, paths) -> bool:
    """The population and the subtrees at `paths` share some unit."""
    return any(
        p.startswith(u.path) or u.path.startswith(p) for u in template.units.all() for p in paths
    )


def templates_for_person(*, person, on: datetime.date | None = None) -> list[AppraisalTemplate]:
    """The published versions that will appraise `person`: for each template, the
    version in force on `on` (today) and the later versions already published, where
    they cover a team the person belongs to on `on`. Earliest first."""
    on = on or timezone.localdate()
    paths = _team_paths(person, on)
    if not paths:
        return []
    published = list(
        with_parts(
            AppraisalTemplate.objects.filter(status=AppraisalTemplate.Status.PUBLISHED)
        ).order_by("code", "applies_from__start_date", "version")
    )
    by_code: dict[str, list[AppraisalTemplate]] = {}
    for template in published:
        by_code.setdefault(template.code, []).append(template)
    result: list[AppraisalTemplate] = []
    for versions in by_code.values():
        started = [t for t in versions if t.applies_from.start_date <= on]
        upcoming = [t for t in versions if t.applies_from.start_date > on]
        relevant = ([started[-1]] if started else []) + upcoming
        result.extend(t for t in relevant if _covers(t, paths))
    result.sort(key=lambda t: (t.applies_from.start_date, t.code, t.version))
    return result


def template_list(*, user) -> list[AppraisalTemplate]:
    """The versions `user` may see, by code then newest version first: every version for
    the department and administrators; the published ones for HR; for anyone else the
    published ones covering their team(s) or overlapping the units they lead."""
    if not user.is_authenticated:
        return []
    qs = AppraisalTemplate.objects.select_related("applies_from__fiscal_year").prefetch_related(
        "units"
    )
    if is_department(user) or is_administrator(user):
        return list(qs.order_by("code", "-version"))
    qs = qs.filter(status=AppraisalTemplate.Status.PUBLISHED).order_by("code", "-version")
    if is_hr(user):
        return list(qs)
    today = timezone.localdate()
    team_paths = _team_paths(user, today)
    led = led_unit_paths(user, today)
    if not team_paths and not led:
        return []
    return [t for t in qs if _covers(t, team_paths) or _overlaps(t, led)]

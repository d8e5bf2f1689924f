"""Writes to appraisal templates: drafts, their dimensions and grade bands,
publication and new versions.

Each service is atomic, checks the rules in `appraisal.template.domain`, records the acting
user in the audit trail and raises `DomainError` with a message naming the field or
the dimension. A published version is never changed: every service refuses it and
says to make a new version (and past the services, the models and the database
refuse it: appraisal.models, migration 0005).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import AppraisalTemplate, Dimension, GradeBand
from appraisal.template import domain, selectors
from core.errors import DomainError
from core.history import audit_as
from core.text import is_slug
from notifications.services import notify
from org.models import Membership, OrgUnit, Period, Role
from org.permissions import subtree_q
from targets.models import Metric

TEMPLATE_FIELDS = ("name", "name_zh", "description", "period_kind", "applies_from", "units")
DIMENSION_FIELDS = (
    "name",
    "name_zh",
    "weight",
    "method",
    "metric",
    "curve",
    "scale",
    "rated_by_peers",
    "rated_by_self",
    "position",
)


def frozen_message(template: AppraisalTemplate) -> str:
    """Why a published version refuses every change, and the way forward."""
    return _(
        "Version %(version)s of %(name)s is published and can no longer change: make a new "
        "version to change it; the new version applies to a later period."
    ) % {"version": template.version, "name": template.name}


def _draft(template: AppraisalTemplate) -> AppraisalTemplate:
    """The template locked for the change, refused unless it is a draft."""
    locked = (
        AppraisalTemplate.objects.select_for_update()
        .select_related("applies_from")
        .get(pk=template.pk)
    )
    if locked.status != AppraisalTemplate.Status.DRAFT:
        raise DomainError(frozen_message(locked))
    return locked


def _touch(template: AppraisalTemplate, acting_user, reason: str) -> None:
    """Record a change to a draft's parts (dimensions, bands) in its history."""
    audit_as(template, acting_user, reason)
    template.save()


def _clean_template_fields(
    *, name, name_zh, period_kind, applies_from: Period, units
) -> tuple[str, str, list[OrgUnit]]:
    name = (name or "").strip()
    name_zh = (name_zh or "").strip()
    if not name:
        raise DomainError(_("A template needs a name."))
    if not name_zh:
        raise DomainError(_("A template needs a Chinese name."))
    if period_kind not in Period.Kind.values:
        raise DomainError(_("Unknown appraisal period: %(kind)s.") % {"kind": period_kind})
    if applies_from is None:
        raise DomainError(_("Choose the first period the template applies to."))
    if applies_from.kind != period_kind:
        raise DomainError(
            _("The first period it applies to must be a %(kind)s, not %(period)s.")
            % {"kind": Period.Kind(period_kind).label, "period": applies_from.label}
        )
    units = list(units or [])
    if not units:
        raise DomainError(_("Choose the units whose salespeople the template covers."))
    return name, name_zh, units


@transaction.atomic
def template_create(
    *,
    code: str,
    name: str,
    name_zh: str,
    description: str = "",
    period_kind: str,
    applies_from: Period,
    units,
    acting_user,
) -> AppraisalTemplate:
    """A new template: its first version, a draft."""
    code = (code or "").strip()
    if not code or not is_slug(code):
        raise DomainError(_("A template code uses letters, digits, hyphens and underscores only."))
    if AppraisalTemplate.objects.filter(code=code).exists():
        raise DomainError(
            _("The template code %(code)s is already used: make a new version of it instead.")
            % {"code": code}
        )
    name, name_zh, units = _clean_template_fields(
        name=name, name_zh=name_zh, period_kind=period_kind, applies_from=applies_from, units=units
    )
    template = AppraisalTemplate(
        code=code,
        version=1,
        name=name,
        name_zh=name_zh,
        description=(description or "").strip(),
        period_kind=period_kind,
        applies_from=applies_from,
    )
    audit_as(template, acting_user, "created")
    template.save()
    template.units.set(units)
    return template


@transaction.atomic
def template_update(*, template: AppraisalTemplate, acting_user, **fields) -> AppraisalTemplate:
    """Change a draft's names, description, period or population (the code stays)."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"template_update() got unexpected fields: {sorted(unknown)}")
    template = _draft(template)
    units = fields.pop("units", None)
    for key, value in fields.items():
        setattr(template, key, value)
    name, name_zh, units = _clean_template_fields(
        name=template.name,
        name_zh=template.name_zh,
        period_kind=template.period_kind,
        applies_from=template.applies_from,
        units=units if units is not None else template.units.all(),
    )
    template.name, template.name_zh = name, name_zh
    template.description = (template.description or "").strip()
    audit_as(template, acting_user, "edited")
    template.save()
    template.units.set(units)
    return template


def _clean_dimension(dimension: Dimension) -> None:
    name = (dimension.name or "").strip()
    if not name:
        raise DomainError(_("A dimension needs a name."))
    dimension.name = name
    dimension.name_zh = (dimension.name_zh or "").strip()
    if not dimension.name_zh:
        raise DomainError(_("%(name)s: the dimension needs a Chinese name.") % {"name": name})
    try:
        weight = Decimal(str(dimension.weight))
    except ArithmeticError:
        weight = None
    if weight is None or not weight.is_finite():
        raise DomainError(_("%(name)s: the weight is not a number.") % {"name": name})
    if not Decimal(0) < weight <= Decimal(100):
        raise DomainError(
            _("%(name)s: the weight must be more than 0 %% and at most 100 %%.") % {"name": name}
        )
    if weight != weight.quantize(Decimal("0.01")):
        raise DomainError(_("%(name)s: the weight has more than two decimals.") % {"name": name})
    dimension.weight = weight
    method = dimension.method
    if method not in Dimension.Method.values:
        raise DomainError(
            _("%(name)s: unknown scoring method %(method)s.") % {"name": name, "method": method}
        )
    # Keep only what the method uses.
    if method == Dimension.Method.ATTAINMENT:
        if dimension.metric_id is None:
            raise DomainError(
                _("%(name)s: choose the metric whose attainment is scored.") % {"name": name}
            )
    else:
        dimension.metric = None
    if method == Dimension.Method.RATED:
        dimension.curve = {}
        if dimension.scale:
            try:
                levels = domain.parse_scale(dimension.scale)
            except DomainError as exc:
                raise DomainError(f"{name}: {exc}") from None
            dimension.scale = [level.as_data() for level in levels]
        else:
            dimension.scale = []
    else:
        dimension.scale = []
        dimension.rated_by_peers = False
        dimension.rated_by_self = False
        if dimension.curve:
            try:
                curve = domain.parse_curve(dimension.curve)
            except DomainError as exc:
                raise DomainError(f"{name}: {exc}") from None
            dimension.curve = curve.as_data()
        else:
            dimension.curve = {}
    dimension.rated_by_peers = bool(dimension.rated_by_peers)
    dimension.rated_by_self = bool(dimension.rated_by_self)


@transaction.atomic
def dimension_save(
    *,
    template: AppraisalTemplate,
    dimension: Dimension | None = None,
    acting_user,
    **fields,
) -> Dimension:
    """Add a dimension to a draft, or change one of its dimensions. A curve or a scale
    may be left empty while the draft is written; publishing needs them."""
    unknown = set(fields) - set(DIMENSION_FIELDS)
    if unknown:
        raise TypeError(f"dimension_save() got unexpected fields: {sorted(unknown)}")
    if dimension is not None and dimension.template_id != template.pk:
        raise DomainError(_("This dimension belongs to another template."))
    template = _draft(template)
    metric = fields.get("metric")
    if metric is not None and not isinstance(metric, Metric):
        raise TypeError("metric must be a Metric or None")
    if dimension is None:
        dimension = Dimension(template=template, method=Dimension.Method.RATED)
        if "position" not in fields:
            last = template.dimensions.aggregate(last=Max("position"))["last"]
            dimension.position = 0 if last is None else last + 1
    for key, value in fields.items():
        setattr(dimension, key, value)
    _clean_dimension(dimension)
    clash = (
        template.dimensions.filter(Q(name__iexact=dimension.name)).exclude(pk=dimension.pk).exists()
    )
    if clash:
        raise DomainError(
            _("The template already has a dimension called %(name)s.") % {"name": dimension.name}
        )
    dimension.save()
    _touch(template, acting_user, f"dimension saved: {dimension.name}")
    return dimension


@transaction.atomic
def dimension_delete(*, dimension: Dimension, acting_user) -> None:
    template = _draft(dimension.template)
    name = dimension.name
    dimension.delete()
    _touch(template, acting_user, f"dimension deleted: {name}")


@transaction.atomic
def bands_save(*, template: AppraisalTemplate, bands: list[dict], acting_user) -> list[GradeBand]:
    """Replace a draft's grade bands (validated as a whole: every score gets a grade)."""
    template = _draft(template)
    parsed = domain.parse_bands(bands)
    template.grades.all().delete()
    rows = GradeBand.objects.bulk_create(
        [
            GradeBand(
                template=template,
                grade=band.grade,
                min_score=band.min_score,
                label=band.label,
                label_zh=band.label_zh,
            )
            for band in parsed
        ]
    )
    _touch(template, acting_user, "grade bands saved")
    return rows


def _covered_salespeople(template: AppraisalTemplate, today: datetime.date) -> list[int]:
    """The salespeople who are, or will be, members of a team in the population."""
    paths = [unit.path for unit in template.units.all()]
    if not paths:
        return []
    return list(
        Membership.objects.filter(
            subtree_q(paths, "unit__path"),
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            kind=Membership.Kind.MEMBER,
            user__is_active=True,
            user__role_assignments__role=Role.SALESPERSON,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


@transaction.atomic
def template_publish(
    *,
    template: AppraisalTemplate,
    acting_user,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> AppraisalTemplate:
    """Publish a draft before the first period it applies to starts; from then on it
    never changes (the models and the database refuse it). The salespeople it covers
    are told. `now` (the moment recorded as published_at) defaults to the real time;
    `today` to its local date."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    try:
        template = _draft(template)
    except DomainError as error:
        raise DomainError(
            error.message, code="publication_refused", data={"problems": [error.message]}
        ) from None
    problems = selectors.publication_problems(template=template, today=today)
    if problems:
        raise DomainError(
            _("The template cannot be published yet: %(problems)s")
            % {"problems": " ".join(problems)},
            code="publication_refused",
            data={"problems": problems},
        )
    template.status = AppraisalTemplate.Status.PUBLISHED
    template.published_at = now
    template.published_by = acting_user if getattr(acting_user, "pk", None) else None
    audit_as(template, acting_user, "published")
    template.save()
    recipients = _covered_salespeople(template, today)
    params = {
        "template": template.name,
        "template_zh": template.name_zh,
        "version": template.version,
        "period": template.applies_from.label,
    }
    url = reverse("appraisal:mine")
    transaction.on_commit(
        lambda: notify(
            recipient_ids=recipients, kind="appraisal_template_published", params=params, url=url
        )
    )
    return template


def _next_period(kind: str, after: datetime.date) -> Period | None:
    return (
        Period.objects.filter(kind=kind, start_date__gt=after)
        .select_related("fiscal_year")
        .order_by("start_date")
        .first()
    )


@transaction.atomic
def template_new_version(
    *, template: AppraisalTemplate, acting_user, today: datetime.date | None = None
) -> AppraisalTemplate:
    """The next version of a published template: a draft copy of its dimensions, grade
    bands and population, applying from the first period after the latest published
    version's first period that has not started yet (when the calendar has one)."""
    today = today or timezone.localdate()
    template = AppraisalTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status != AppraisalTemplate.Status.PUBLISHED:
        raise DomainError(
            _("Version %(version)s of %(name)s is a draft: edit it rather than copying it.")
            % {"version": template.version, "name": template.name}
        )
    family = AppraisalTemplate.objects.filter(code=template.code)
    draft = family.filter(status=AppraisalTemplate.Status.DRAFT).first()
    if draft is not None:
        raise DomainError(
            _("Version %(version)s of %(name)s is already a draft being edited: edit that one.")
            % {"version": draft.version, "name": draft.name}
        )
    latest = (
        family.filter(status=AppraisalTemplate.Status.PUBLISHED)
        .select_related("applies_from")
        .order_by("-applies_from__start_date", "-version")
        .first()
    )
    after = max(latest.applies_from.start_date, today)
    applies_from = _next_period(template.period_kind, after) or latest.applies_from
    version = family.aggregate(last=Max("version"))["last"] + 1
    copy = AppraisalTemplate(
        code=template.code,
        version=version,
        name=template.name,
        name_zh=template.name_zh,
        description=template.description,
        period_kind=template.period_kind,
        applies_from=applies_from,
    )
    audit_as(copy, acting_user, f"new version of v{template.version}")
    copy.save()
    copy.units.set(list(template.units.all()))
    Dimension.objects.bulk_create(
        [
            Dimension(
                template=copy,
                position=d.position,
                name=d.name,
                name_zh=d.name_zh,
                weight=d.weight,
                method=d.method,
                metric_id=d.metric_id,
                curve=d.curve,
                scale=d.scale,
                rated_by_peers=d.rated_by_peers,
                rated_by_self=d.rated_by_self,
            )
            for d in template.dimensions.all()
        ]
    )
    GradeBand.objects.bulk_create(
        [
            GradeBand(
                template=copy,
                grade=b.grade,
                min_score=b.min_score,
                label=b.label,
                label_zh=b.label_zh,
            )
            for b in template.grades.all()
        ]
    )
    return copy

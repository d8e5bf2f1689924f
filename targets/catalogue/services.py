"""Writes of the catalogue the targets are set in: metrics, seasonality profiles and the
tolerance band (each version kept with its reason). Atomic and audited."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.history import audit_as
from core.text import is_slug
from targets import domain
from targets.catalogue import selectors as catalogue_selectors
from targets.models import MAX_PACE_LAG_DAYS, Metric, SeasonalityProfile, ToleranceBand


def tolerance() -> tuple[Decimal, Decimal]:
    """The tolerance band in force (`catalogue_selectors.tolerance`)."""
    return catalogue_selectors.tolerance()


@transaction.atomic
def tolerance_set(*, min_pct: Decimal, max_pct: Decimal, reason: str, acting_user) -> ToleranceBand:
    """A new version of the tolerance band, in force from now for allocations and
    publications (what was published stays as it is). The reason is kept with it."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the tolerance band changes."))
    cent = Decimal("0.01")
    min_pct = Decimal(min_pct).quantize(cent, rounding=ROUND_HALF_UP)
    max_pct = Decimal(max_pct).quantize(cent, rounding=ROUND_HALF_UP)
    domain.check_band(min_pct, max_pct)
    if (min_pct, max_pct) == tuple(tolerance()):
        raise DomainError(_("This is already the tolerance band."))
    return ToleranceBand.objects.create(
        min_pct=min_pct, max_pct=max_pct, reason=reason, created_by=acting_user
    )


@transaction.atomic
def metric_save(*, metric: Metric | None = None, acting_user, **fields) -> Metric:
    metric = metric or Metric()
    for name, value in fields.items():
        setattr(metric, name, value)
    metric.code = (metric.code or "").strip()
    if not metric.code or not is_slug(metric.code):
        raise DomainError(
            _("A metric code uses letters, digits, hyphens and underscores only."), field="code"
        )
    if not (metric.name or "").strip():
        raise DomainError(_("A metric needs a name."), field="name")
    for field, choices in (
        ("unit", Metric.Unit),
        ("direction", Metric.Direction),
        ("source", Metric.Source),
    ):
        if getattr(metric, field) not in choices.values:
            raise DomainError(
                _("Unknown %(field)s: %(value)s.")
                % {
                    "field": Metric._meta.get_field(field).verbose_name,
                    "value": getattr(metric, field),
                },
                field=field,
            )
    lag = metric.pace_lag_days
    if not isinstance(lag, int) or isinstance(lag, bool) or not 0 <= lag <= MAX_PACE_LAG_DAYS:
        raise DomainError(
            _(
                "The delay of the actuals is a whole number of days from 0 to %(most)s, "
                "not %(value)s."
            )
            % {"most": MAX_PACE_LAG_DAYS, "value": lag},
            field="pace_lag_days",
        )
    clash = Metric.objects.filter(code=metric.code).exclude(pk=metric.pk).exists()
    if clash:
        raise DomainError(
            _("The metric code %(code)s is already used.") % {"code": metric.code}, field="code"
        )
    audit_as(metric, acting_user)
    metric.save()
    return metric


@transaction.atomic
def seasonality_save(
    *,
    profile: SeasonalityProfile | None = None,
    name: str,
    method: str,
    weights: list | None = None,
    acting_user,
) -> SeasonalityProfile:
    profile = profile or SeasonalityProfile()
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A seasonality profile needs a name."))
    if method not in SeasonalityProfile.Method.values:
        raise DomainError(_("Unknown seasonality method: %(method)s.") % {"method": method})
    if method == SeasonalityProfile.Method.CUSTOM:
        values = domain.check_monthly_weights(weights or [])
        profile.weights = [str(v) for v in values]
    else:
        profile.weights = []
    profile.name = name
    profile.method = method
    if SeasonalityProfile.objects.filter(name=name).exclude(pk=profile.pk).exists():
        raise DomainError(_("A profile named %(name)s already exists.") % {"name": name})
    audit_as(profile, acting_user)
    profile.save()
    return profile

"""Writes of personal sales plans: a salesperson writes and submits their plan for a
period; a supervisor (or the department) approves it or returns it with a comment. Each
write is atomic and audited; the author is checked by `targets.plans.permissions`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.history import audit_as
from core.permissions import require
from notifications.services import notify
from org.models import Period, User
from targets import selectors
from targets.models import SalesPlan, SalesPlanVersion
from targets.plans import permissions as plan_permissions
from targets.services import _both_languages, _supervisor_ids


def _clean_pipeline(pipeline: dict, period: Period) -> dict:
    months = {
        str(p.pk)
        for p in Period.objects.filter(
            kind=Period.Kind.MONTH, start_date__gte=period.start_date, end_date__lte=period.end_date
        )
    }
    clean = {}
    for key, raw in (pipeline or {}).items():
        if str(key) not in months:
            raise DomainError(_("The pipeline names a month outside the plan's period."))
        if raw in (None, ""):
            continue
        try:
            value = Decimal(str(raw).replace(",", "").strip())
        except InvalidOperation:
            raise DomainError(_("%(value)s is not a number.") % {"value": raw}) from None
        if not value.is_finite() or value >= Decimal(10) ** 16:
            raise DomainError(_("%(value)s is not a number.") % {"value": raw})
        if value < 0:
            raise DomainError(_("An expected pipeline amount cannot be negative."))
        clean[str(key)] = str(value.quantize(Decimal("0.01")))
    return clean


@transaction.atomic
def plan_save(
    *,
    person: User,
    period: Period,
    key_accounts: str,
    actions: str,
    pipeline: dict,
    resources: str = "",
    acting_user,
) -> SalesPlan:
    """Write or rewrite the working version of a plan. After a return, the next edit
    starts a new version; the reviewed ones stay as they were."""
    require(plan_permissions.is_plan_author(acting_user, person))
    if not (key_accounts or "").strip() or not (actions or "").strip():
        raise DomainError(_("A plan names its key accounts and its actions."))
    if period.status == Period.Status.CLOSED:
        raise DomainError(
            _("%(period)s is closed: its plans cannot change.") % {"period": period.label}
        )
    clean = _clean_pipeline(pipeline, period)
    plan, _created = SalesPlan.objects.select_for_update(of=("self",)).get_or_create(
        person=person, period=period
    )
    if plan.status not in (SalesPlan.Status.DRAFT, SalesPlan.Status.RETURNED):
        raise DomainError(
            _("The plan is %(status)s and cannot be edited now.")
            % {"status": plan.get_status_display()}
        )
    current = plan.versions.order_by("-number").first()
    if current is None or current.submitted_at is not None:
        current = SalesPlanVersion(
            plan=plan, number=(current.number + 1) if current else 1, created_by=acting_user
        )
    current.key_accounts = key_accounts.strip()
    current.actions = actions.strip()
    current.pipeline = clean
    current.resources = (resources or "").strip()
    current.save()
    if plan.status == SalesPlan.Status.RETURNED:
        plan.status = SalesPlan.Status.DRAFT
    audit_as(plan, acting_user)
    plan.save()
    return plan


@transaction.atomic
def plan_submit(*, plan: SalesPlan, acting_user) -> SalesPlan:
    plan = (
        SalesPlan.objects.select_for_update(of=("self",))
        .select_related("person", "period__fiscal_year")
        .get(pk=plan.pk)
    )
    require(plan_permissions.is_plan_author(acting_user, plan.person))
    if plan.status != SalesPlan.Status.DRAFT:
        raise DomainError(_("Only a draft plan can be submitted."))
    version = plan.versions.order_by("-number").first()
    if version is None or version.submitted_at is not None:
        raise DomainError(_("Write the plan before submitting it."))
    version.submitted_at = timezone.now()
    version.save(update_fields=["submitted_at"])
    plan.status = SalesPlan.Status.SUBMITTED
    audit_as(plan, acting_user, "submitted")
    plan.save()
    team = selectors.team_of(plan.person, plan.period)
    recipients = _supervisor_ids(team.pk, timezone.localdate()) if team else []
    params = _both_languages(person=plan.person.display_name, period=lambda: plan.period.label)
    url = reverse("targets:plan", args=[plan.pk])
    transaction.on_commit(
        lambda: notify(recipient_ids=recipients, kind="plan_submitted", params=params, url=url)
    )
    return plan


@transaction.atomic
def plan_review(*, plan: SalesPlan, approve: bool, comment: str = "", acting_user) -> SalesPlan:
    plan = (
        SalesPlan.objects.select_for_update(of=("self",))
        .select_related("person", "period__fiscal_year")
        .get(pk=plan.pk)
    )
    if plan.status != SalesPlan.Status.SUBMITTED:
        raise DomainError(_("Only a submitted plan can be approved or returned."))
    if plan.person_id == acting_user.pk:
        raise DomainError(_("Nobody reviews their own plan."))
    if not approve and not comment.strip():
        raise DomainError(_("Say what to change when returning a plan."))
    version = plan.versions.order_by("-number").first()
    version.reviewed_by = acting_user
    version.reviewed_at = timezone.now()
    version.decision = "approved" if approve else "returned"
    version.review_comment = comment.strip()
    version.save()
    plan.status = SalesPlan.Status.APPROVED if approve else SalesPlan.Status.RETURNED
    audit_as(plan, acting_user, version.decision)
    plan.save()
    params = _both_languages(period=lambda: plan.period.label, comment=comment.strip())
    kind = "plan_approved" if approve else "plan_returned"
    url = reverse("targets:plan", args=[plan.pk])
    transaction.on_commit(
        lambda: notify(recipient_ids=[plan.person_id], kind=kind, params=params, url=url)
    )
    return plan

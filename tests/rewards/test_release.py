"""Approved decisions released to their people (in-app and by e-mail, once, on commit),
acknowledged or appealed within the window, appeals resolved as upheld or as a new version
(the first kept), and promotion holds lifted early by the department with a reason."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.frozen import FinalError
from notifications.models import Notification
from rewards import services
from rewards.models import Decision, DecisionVersion, PromotionHold
from tests.rewards.conftest import AFTER, decisions

pytestmark = pytest.mark.django_db

RELEASE = AFTER + datetime.timedelta(days=2)


def _adds_up(working) -> bool:
    return D(working["total"]) == sum(D(x["amount"]) for x in working["lines"])


@pytest.fixture
def approved(rw):
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=list(found.values()), acting_user=rw.dina, now=AFTER)
    rw.found = {u: Decision.objects.get(pk=d.pk) for u, d in found.items()}
    rw.sam = rw.found["sam"]
    return rw


@pytest.fixture
def released(approved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.decisions_release(
            decisions=list(approved.found.values()),
            acting_user=approved.org.department,
            now=RELEASE,
        )
    approved.sam.refresh_from_db()
    mail.outbox.clear()
    return approved


def _appealed(rw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.decision_appeal(
            decision=rw.sam,
            reason="The cancelled order of 12 January was not mine to lose",
            acting_user=rw.org.salesperson,
            now=RELEASE + datetime.timedelta(days=1),
        )


# --- release ----------------------------------------------------------------------------------


def test_release_tells_each_person_once_on_commit_in_app_and_by_email(
    approved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = services.decisions_release(
            decisions=list(approved.found.values()),
            acting_user=approved.org.department,
            now=RELEASE,
        )
        assert not Notification.objects.exists()  # not before the commit
    assert len(rows) == 5
    assert len(callbacks) == 1
    callbacks[0]()
    sam = Decision.objects.get(pk=approved.sam.pk)
    assert (sam.status, sam.released_at) == ("released", RELEASE)
    notices = Notification.objects.filter(kind="reward_decision_released")
    assert sorted(n.recipient.username for n in notices) == ["eve", "oscar", "sam", "sue", "tina"]
    notice = notices.get(recipient=approved.org.salesperson)
    assert notice.params["total"] == "45.50"
    assert notice.params["deadline"] == "2026-02-15"
    assert "45.50 CNY" in str(notice)
    assert len(mail.outbox) == 5
    email = next(m for m in mail.outbox if m.to == ["sam@example.test"])
    assert "45.50 CNY" in email.body
    assert "2026-02-15" in email.body


def test_the_email_is_in_the_persons_language(approved, django_capture_on_commit_callbacks):
    sam = approved.org.salesperson
    sam.preferred_language = "zh-hans"
    sam.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.decisions_release(
            decisions=[approved.sam], acting_user=approved.org.department, now=RELEASE
        )
    (email,) = mail.outbox
    assert "2026年1月" in email.subject
    assert Notification.objects.get().params["period_zh"] == "2026年1月"


def test_only_the_department_releases_and_only_approved_decisions(approved):
    with pytest.raises(PermissionDenied):
        services.decisions_release(decisions=[approved.sam], acting_user=approved.org.supervisor)
    with pytest.raises(PermissionDenied):
        services.decisions_release(decisions=[approved.sam], acting_user=approved.org.salesperson)
    services.decisions_release(decisions=[approved.sam], acting_user=approved.org.department)
    with pytest.raises(DomainError) as refused:
        services.decisions_release(decisions=[approved.sam], acting_user=approved.org.department)
    assert (refused.value.code, refused.value.field) == ("not_approved", "decisions")
    with pytest.raises(DomainError) as refused:
        services.decisions_release(decisions=[], acting_user=approved.org.department)
    assert refused.value.field == "decisions"


def test_a_proposed_decision_is_not_released(rw):
    services.decisions_compute(period=rw.jan, now=AFTER)
    sam = decisions(rw.jan)["sam"]
    with pytest.raises(DomainError) as refused:
        services.decisions_release(decisions=[sam], acting_user=rw.org.department)
    assert refused.value.code == "not_approved"
    assert Decision.objects.get(pk=sam.pk).status == "proposed"


# --- acknowledgement and appeal ---------------------------------------------------------------


def test_the_person_acknowledges_their_released_decision(released):
    with pytest.raises(PermissionDenied):
        services.decision_acknowledge(decision=released.sam, acting_user=released.org.teammate)
    with pytest.raises(PermissionDenied):
        services.decision_acknowledge(decision=released.sam, acting_user=released.org.department)
    sam = services.decision_acknowledge(
        decision=released.sam, acting_user=released.org.salesperson, now=RELEASE
    )
    assert (sam.status, sam.acknowledged_at) == ("acknowledged", RELEASE)
    with pytest.raises(DomainError) as refused:
        services.decision_acknowledge(decision=sam, acting_user=released.org.salesperson)
    assert (refused.value.code, refused.value.field) == ("not_released", "status")
    with pytest.raises(DomainError):
        services.decision_appeal(decision=sam, reason="x", acting_user=released.org.salesperson)


def test_an_approved_decision_is_acknowledged_only_once_released(approved):
    with pytest.raises(DomainError) as refused:
        services.decision_acknowledge(decision=approved.sam, acting_user=approved.org.salesperson)
    assert refused.value.code == "not_released"
    with pytest.raises(DomainError) as refused:
        services.decision_appeal(
            decision=approved.sam, reason="x", acting_user=approved.org.salesperson
        )
    assert refused.value.code == "not_released"


def test_the_person_appeals_with_reasons_and_the_department_is_told(
    released, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        services.decision_appeal(
            decision=released.sam, reason="x", acting_user=released.org.supervisor
        )
    with pytest.raises(DomainError) as refused:
        services.decision_appeal(
            decision=released.sam,
            reason="  ",
            acting_user=released.org.salesperson,
            now=RELEASE,
        )
    assert (refused.value.code, refused.value.field) == ("invalid", "reason")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sam = services.decision_appeal(
            decision=released.sam,
            reason="Wrong figures",
            acting_user=released.org.salesperson,
            now=RELEASE + datetime.timedelta(days=1),
        )
    assert len(callbacks) == 1
    assert (sam.status, sam.appeal_reason) == ("appealed", "Wrong figures")
    told = Notification.objects.filter(kind="reward_decision_appealed")
    assert sorted(n.recipient.username for n in told) == ["dina", "dora"]
    assert str(told.first()) == (
        f"{released.org.salesperson.display_name} appealed the bonus decision for January 2026."
    )


def test_the_appeal_window_closes_after_the_setting_s_days(released, settings):
    settings.REWARDS_APPEAL_DAYS = 3
    with pytest.raises(DomainError) as refused:
        services.decision_appeal(
            decision=released.sam,
            reason="late",
            acting_user=released.org.salesperson,
            now=RELEASE + datetime.timedelta(days=3, seconds=1),
        )
    assert (refused.value.code, refused.value.field) == ("too_late", "reason")
    assert "2026-02-08" in refused.value.message
    sam = services.decision_appeal(
        decision=released.sam,
        reason="just in time",
        acting_user=released.org.salesperson,
        now=RELEASE + datetime.timedelta(days=3),
    )
    assert sam.status == "appealed"


# --- resolution -------------------------------------------------------------------------------


def test_an_appeal_upheld_keeps_the_figures(released, django_capture_on_commit_callbacks):
    _appealed(released, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.appeal_resolve(
            decision=released.sam, outcome="upheld", reason="x", acting_user=released.org.hr
        )
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="upheld",
            reason="x",
            amount="5.00",
            acting_user=released.org.department,
        )
    assert refused.value.field == "changes"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        version = services.appeal_resolve(
            decision=released.sam,
            outcome="upheld",
            reason="The order was cancelled by the customer",
            acting_user=released.org.department,
            now=RELEASE + datetime.timedelta(days=4),
        )
    assert version is None
    assert len(callbacks) == 1
    sam = Decision.objects.get(pk=released.sam.pk)
    assert (sam.status, sam.resolution, sam.resolved_by) == (
        "resolved",
        "upheld",
        released.org.department,
    )
    assert sam.versions.count() == 1
    notice = Notification.objects.get(kind="reward_appeal_resolved")
    assert notice.recipient == released.org.salesperson
    assert "upheld" in str(notice)


def test_an_appeal_resolved_with_a_change_is_version_2_and_version_1_stays(
    released, django_capture_on_commit_callbacks
):
    first = DecisionVersion.objects.get(decision=released.sam)
    first_values = (first.working, first.total, first.reason)
    _appealed(released, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="changed",
            reason="x",
            acting_user=released.org.department,
        )
    assert refused.value.field == "changes"
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="changed",
            reason="x",
            changes=[("nothing", "1.00")],
            acting_user=released.org.department,
        )
    assert refused.value.field == "changes"
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="changed",
            reason=" ",
            amount="1.00",
            acting_user=released.org.department,
        )
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="changed",
            reason="x",
            amount="-100.00",
            acting_user=released.org.department,
        )
    assert refused.value.field == "amount"
    with django_capture_on_commit_callbacks(execute=True):
        version = services.appeal_resolve(
            decision=released.sam,
            outcome="changed",
            reason="The penalty read the cancelled order; half of it is given back",
            changes=[("low", "9.75")],
            amount="0.25",
            acting_user=released.org.department,
            now=RELEASE + datetime.timedelta(days=4),
        )
    assert (version.version, version.total) == (2, D("55.50"))
    assert version.reason.startswith("The penalty read")
    assert version.adjustments == D("10.00")
    assert version.before_penalties == first.before_penalties
    assert [(x["key"], x["amount"]) for x in version.working["lines"]][-2:] == [
        ("appeal:low", "9.75"),
        ("appeal:total", "0.25"),
    ]
    first.refresh_from_db()
    assert (first.working, first.total, first.reason) == first_values
    for v in DecisionVersion.objects.filter(decision=released.sam):
        assert _adds_up(v.working)
        assert v.total == D(v.working["total"])
    sam = Decision.objects.get(pk=released.sam.pk)
    assert (sam.status, sam.resolution, sam.total) == ("resolved", "changed", D("45.50"))
    assert services.current_version(sam) == version
    assert "changed" in str(Notification.objects.get(kind="reward_appeal_resolved"))
    # Nothing else: the resolution is final.
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=sam, outcome="upheld", reason="x", acting_user=released.org.department
        )
    assert refused.value.code == "not_appealed"
    with pytest.raises(FinalError):
        version.delete()


def test_an_unknown_outcome_is_refused(released, django_capture_on_commit_callbacks):
    _appealed(released, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="maybe",
            reason="x",
            acting_user=released.org.department,
        )
    assert refused.value.field == "outcome"


def test_a_decision_not_appealed_has_nothing_to_resolve(released):
    with pytest.raises(DomainError) as refused:
        services.appeal_resolve(
            decision=released.sam,
            outcome="upheld",
            reason="x",
            acting_user=released.org.department,
        )
    assert (refused.value.code, refused.value.field) == ("not_appealed", "status")


# --- promotion holds --------------------------------------------------------------------------


def test_the_department_lifts_a_hold_early_with_a_reason(approved):
    hold = PromotionHold.objects.get(person=approved.org.salesperson)
    with pytest.raises(PermissionDenied):
        services.hold_lift(hold=hold, reason="x", acting_user=approved.org.supervisor)
    with pytest.raises(PermissionDenied):
        services.hold_lift(hold=hold, reason="x", acting_user=approved.org.hr)
    with pytest.raises(DomainError) as refused:
        services.hold_lift(hold=hold, reason=" ", acting_user=approved.org.department, now=RELEASE)
    assert (refused.value.code, refused.value.field) == ("invalid", "reason")
    hold = services.hold_lift(
        hold=hold,
        reason="The cancelled order was the customer's fault",
        acting_user=approved.org.department,
        now=RELEASE,
    )
    hold.refresh_from_db()
    assert (hold.lifted_at, hold.lifted_by, hold.lift_reason) == (
        RELEASE,
        approved.org.department,
        "The cancelled order was the customer's fault",
    )
    with pytest.raises(DomainError) as refused:
        services.hold_lift(hold=hold, reason="again", acting_user=approved.org.department)
    assert refused.value.code == "lifted"


def test_a_hold_that_ended_is_not_lifted(approved):
    hold = PromotionHold.objects.get(person=approved.org.salesperson)
    with pytest.raises(DomainError) as refused:
        services.hold_lift(
            hold=hold,
            reason="late",
            acting_user=approved.org.department,
            now=AFTER + datetime.timedelta(days=90),
        )
    assert refused.value.code == "ended"


def test_the_workflow_passes_the_database_guards(rw, triggers, django_capture_on_commit_callbacks):
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    services.decisions_approve(decisions=[found["sam"]], acting_user=rw.dina, now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        services.decisions_release(
            decisions=[found["sam"]], acting_user=rw.org.department, now=RELEASE
        )
        services.decision_appeal(
            decision=found["sam"],
            reason="x",
            acting_user=rw.org.salesperson,
            now=RELEASE,
        )
        version = services.appeal_resolve(
            decision=found["sam"],
            outcome="changed",
            reason="y",
            amount="1.00",
            acting_user=rw.org.department,
            now=RELEASE,
        )
    assert version.version == 2
    sam = Decision.objects.get(pk=found["sam"].pk)
    assert (sam.status, sam.total) == ("resolved", D("45.50"))
    hold = services.hold_lift(
        hold=PromotionHold.objects.get(decision=sam),
        reason="z",
        acting_user=rw.org.department,
        now=RELEASE,
    )
    assert hold.lifted_at == RELEASE

"""Forms of the progress report and satisfaction pages. They check the shape of the
input; the rules are the services' (`sales.feedback.services`)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.models import Membership, OrgUnit, Period, Role, User
from org.permissions import active_on_q, is_department, led_unit_paths, subtree_q
from sales.feedback.domain import SCORE_MAX, SCORE_MIN
from sales.feedback.permissions import can_enter_satisfaction_for, satisfaction_people
from sales.models import Customer
from sales.records.permissions import visible_customers

TEXTAREA = {"rows": 4}


class ProgressReportForm(forms.Form):
    progress = forms.CharField(
        label=gettext_lazy("Progress"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=gettext_lazy(
            "What you did and achieved in the period: deals, visits, pipeline. Required to submit."
        ),
    )
    customer_feedback = forms.CharField(
        label=gettext_lazy("Customer feedback"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=gettext_lazy("What customers said: needs, complaints, praise."),
    )
    problems = forms.CharField(
        label=gettext_lazy("Problems"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    help_needed = forms.CharField(
        label=gettext_lazy("Help needed"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=gettext_lazy("What you need from your supervisor or other departments."),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def scope_units(user):
    """Units a user may filter the team pages by: the department all, a supervisor the
    units they lead and below."""
    units = OrgUnit.objects.order_by("path")
    if is_department(user):
        return units
    paths = led_unit_paths(user)
    return units.filter(subtree_q(paths)) if paths else units.none()


class TeamFilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All my units"),
    )
    end = forms.DateField(
        label=gettext_lazy("Up to the period containing"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    periods = forms.TypedChoiceField(
        label=gettext_lazy("Periods shown"),
        choices=[(n, n) for n in (4, 6, 8, 12)],
        coerce=int,
        required=False,
        empty_value=6,
        initial=6,
    )
    missing = forms.BooleanField(
        label=gettext_lazy("Only people with missing reports"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope_units(user)
        if is_department(user):
            self.fields["unit"].empty_label = _("Whole organisation")


class SatisfactionForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=gettext_lazy("Customer"), queryset=Customer.objects.none()
    )
    salesperson = forms.ModelChoiceField(
        label=gettext_lazy("Salesperson"), queryset=User.objects.none()
    )
    answered_on = forms.DateField(
        label=gettext_lazy("Answered on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    score = forms.TypedChoiceField(
        label=gettext_lazy("Score"),
        choices=[(n, n) for n in range(SCORE_MAX, SCORE_MIN - 1, -1)],
        coerce=int,
        help_text=gettext_lazy("5 is excellent, 1 is poor."),
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    external_id = forms.CharField(
        label=gettext_lazy("External id"),
        required=False,
        max_length=64,
        help_text=gettext_lazy(
            "The survey system's id, if any: entering the same id again updates the response."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("answered_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = visible_customers(user).order_by("name", "id")
        self.fields["salesperson"].queryset = satisfaction_people(user).order_by(
            "last_name", "first_name", "username"
        )
        self.user = user

    def clean(self):
        data = super().clean()
        person, day = data.get("salesperson"), data.get("answered_on")
        if person and day and not can_enter_satisfaction_for(self.user, person, day):
            # The service refuses it too (403); here it is said beside the field.
            self.add_error(
                "salesperson",
                _("%(person)s was not in a team you lead on %(date)s.")
                % {"person": person.display_name, "date": day.isoformat()},
            )
        return data


class SatisfactionFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label=gettext_lazy("Period"),
        queryset=Period.objects.select_related("fiscal_year").order_by(
            "-fiscal_year__start_date", "start_date", "-end_date"
        ),
        required=False,
        empty_label=gettext_lazy("All dates"),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    person = forms.ModelChoiceField(
        label=gettext_lazy("Salesperson"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    score = forms.TypedChoiceField(
        label=gettext_lazy("Score"),
        choices=[("", gettext_lazy("All")), *[(n, n) for n in range(SCORE_MAX, SCORE_MIN - 1, -1)]],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, user, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope_units(user)
        self.fields["person"].queryset = people


def people_filter_queryset(user):
    """People a user may pick in the satisfaction filters: the department everybody
    with responses or the salesperson role, a supervisor their people, a salesperson
    themselves."""
    if is_department(user):
        return (
            User.objects.filter(role_assignments__role=Role.SALESPERSON)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
    paths = led_unit_paths(user)
    condition = Q(pk=user.pk)
    if paths:
        led = Membership.objects.filter(
            active_on_q(timezone.localdate()),
            subtree_q(paths, "unit__path"),
            kind=Membership.Kind.MEMBER,
        )
        condition |= Q(pk__in=led.values("user_id"))
    return User.objects.filter(condition).order_by("last_name", "first_name", "username")

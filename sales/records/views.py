"""Pages of sales records, customers (with their contacts) and follow-ups, and the
department's import of sales records.

Thin: access through `sales.records.permissions` (a hidden object answers 404, a forbidden
action 403), writes through `sales.records.services`, whose refusals are shown next to the
field they name, with status 400, nothing written. The reads the pages need beyond
the permission querysets (choices a user may pick, totals, history) are the private
helpers below, each a fixed number of queries.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.permissions import require
from core.views import (
    attempt,
    form_page,
    import_page,
    is_htmx,
    next_url,
    on_form,
    saved,
    submit,
)
from org.models import Period, Role, User
from org.permissions import (
    is_salesperson,
    is_supervisor,
    led_unit_paths,
    visible_people,
    visible_units,
)
from sales.models import Contact, Customer, FollowUp, SalesRecord
from sales.records import imports, permissions, selectors, services
from sales.records.forms import (
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    FollowUpFilterForm,
    FollowUpForm,
    RecordFilterForm,
    RecordForm,
    credit_formset,
)

PAGE_SIZE = 50


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- who uses these pages, and the choices they have (reads) ----------------------------------


def _uses_sales(user) -> bool:
    """Salespeople, supervisors and the department; not HR or anybody else."""
    return permissions.can_manage_sales(user) or is_salesperson(user) or is_supervisor(user)


def _sales_people(user) -> QuerySet[User]:
    """The people the lists filter by: salespeople and supervisors the user may see."""
    return (
        visible_people(user)
        .filter(role_assignments__role__in=[Role.SALESPERSON, Role.SUPERVISOR])
        .distinct()
        .order_by("username")
    )


def _with_current(queryset: QuerySet, *pks) -> QuerySet:
    """The choices plus the objects already chosen (an owner or customer the user could
    not pick any more stays as it is)."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return queryset
    return queryset.model.objects.filter(Q(pk__in=queryset.values("pk")) | Q(pk__in=pks)).order_by(
        *queryset.query.order_by or queryset.model._meta.ordering
    )


# --- sales records ------------------------------------------------------------------------------


@login_required
def record_list(request):
    user = request.user
    require(_uses_sales(user))
    customers = permissions.visible_customers(user).order_by("name", "pk")
    units = visible_units(user).order_by("path")
    form = RecordFilterForm(
        request.GET or None, people=_sales_people(user), units=units, customers=customers
    )
    records = selectors.records_filtered(user=user, params=form.filter_params())
    filters = form.cleaned_data if form.is_valid() else {}
    person, unit = filters.get("person"), filters.get("team")
    own = None if _sees_others(user) else user
    totals = selectors.record_totals(records, person=person, unit=unit, own=own)
    page = Paginator(
        selectors.with_record_parts(records).order_by("-date", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/records/list.html",
        {
            "form": form,
            "page": page,
            "totals": totals,
            "query": _query_without_page(request),
            "can_enter": permissions.can_enter_sales(user),
            "can_import": permissions.can_manage_sales(user),
            "show_person": _sees_others(user),
            "filtered": bool(filters) and any(v not in (None, "") for v in filters.values()),
        },
    )


def _sees_others(user) -> bool:
    return permissions.can_manage_sales(user) or bool(led_unit_paths(user))


def _show_service_error(exc: DomainError, form, credit_errors: list[str]) -> None:
    """Put a refusal of sales.records.services next to the field it names (the credits have their
    own error list)."""
    if exc.field == "credits":
        credit_errors.append(exc.message)
    else:
        on_form(form, exc)


def _record_form_page(request, *, record: SalesRecord | None):
    user = request.user
    old_people = [c.person_id for c in record.credits.all()] if record else []
    people = _with_current(permissions.creditable_people(user), *old_people)
    customers = _with_current(
        permissions.visible_customers(user).order_by("name", "pk"),
        record.customer_id if record else None,
    )
    data = request.POST if request.method == "POST" else None
    form = RecordForm.for_record(record, data, customers=customers)
    chosen = request.GET.get("customer", "")
    if record is None and chosen.isdigit() and customers.filter(pk=chosen).exists():
        form.initial["customer"] = int(chosen)
    if record is None:
        initial = (
            [{"person": user.pk, "share_pct": Decimal(100)}]
            if permissions.may_credit_self(user)
            else []
        )
    else:
        initial = [
            {"person": c.person_id, "share_pct": c.share_pct}
            for c in record.credits.order_by("-share_pct", "pk")
        ]
    credits = credit_formset(data, people=people, initial=initial)
    credit_errors: list[str] = []
    blocked = _blocked_reason(record)
    status = 200
    if request.method == "POST":
        valid = form.is_valid() & credits.is_valid()
        credited = credits.credits() if credits.is_valid() else []
        if credits.is_valid() and not credited:
            credit_errors.append(_("Credit the sale to at least one salesperson."))
            valid = False
        if valid and not permissions.can_credit(user, [p for p, _s in credited], old_people):
            credit_errors.append(
                _(
                    "You can credit a sale only to yourself (at least in part), to the people "
                    "of your own team and to the people you lead."
                )
            )
            valid = False
        if valid and blocked:
            form.add_error(None, blocked)
            valid = False
        if valid:
            done = attempt(
                lambda: services.record_save(
                    **form.values(),
                    credits=credited,
                    acting_user=user,
                    **(
                        {"record": record, "external_id": record.external_id}
                        if record is not None
                        else {}
                    ),
                )
            )
            if done.error is not None:
                _show_service_error(done.error, form, credit_errors)
            else:
                saved = done.value
                if any(p.pk == user.pk for p, _share in credited):
                    text = _(
                        "The sale of %(amount)s to %(customer)s is saved: your attainment is "
                        "updated."
                    )
                else:
                    text = _(
                        "The sale of %(amount)s to %(customer)s is saved: the attainment of "
                        "the people credited is updated."
                    )
                messages.success(
                    request,
                    text % {"amount": f"{saved.amount:,.2f}", "customer": saved.customer.name},
                )
                return redirect("sales:record-detail", pk=saved.pk)
        status = 400
    categories = (
        permissions.visible_records(user)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()[:200]
    )
    return render(
        request,
        "sales/records/form.html",
        {
            "form": form,
            "credits": credits,
            "credit_errors": credit_errors,
            "record": record,
            "blocked": blocked,
            "categories": categories,
            "has_customers": customers.exists(),
        },
        status=status,
    )


def _blocked_reason(record: SalesRecord | None) -> str:
    if record is None:
        return ""
    if record.status == SalesRecord.Status.CANCELLED:
        return _("This record is cancelled: it cannot be changed.")
    if record.period.status != Period.Status.OPEN:
        return _("%(period)s is %(status)s: a correction goes into an open period.") % {
            "period": record.period.label,
            "status": record.period.get_status_display(),
        }
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request):
    require(permissions.can_enter_sales(request.user))
    return _record_form_page(request, record=None)


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request, pk):
    record = permissions.record_for_user(request.user, pk)
    require(permissions.can_change_record(request.user, record))
    return _record_form_page(request, record=record)


@login_required
def record_detail(request, pk):
    user = request.user
    record = permissions.record_for_user(user, pk)
    credits = list(record.credits.select_related("person", "team").order_by("-share_pct", "pk"))
    may_change = permissions.can_change_record(user, record)
    return render(
        request,
        "sales/records/detail.html",
        {
            "record": record,
            "credits": credits,
            "history": selectors.record_history(record),
            "credit_history": selectors.credit_history(record),
            "may_change": may_change and not _blocked_reason(record),
            "blocked": _blocked_reason(record),
            "credited_to_me": any(c.person_id == user.pk for c in credits),
            "created_by": record.created_by,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_cancel(request, pk):
    user = request.user
    record = permissions.record_for_user(user, pk)
    require(permissions.can_change_record(user, record))
    error = ""
    status = 200
    if request.method == "POST":
        done = attempt(lambda: services.record_cancel(record=record, acting_user=user))
        if not done:
            error = done.message
            status = 400
        else:
            messages.success(
                request,
                _("The sale is cancelled: it no longer counts in the attainment."),
            )
            return redirect("sales:record-detail", pk=record.pk)
    return render(
        request,
        "sales/records/cancel.html",
        {"record": record, "error": error or _blocked_reason(record)},
        status=status,
    )


# --- import ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def records_import(request):
    require(permissions.can_manage_sales(request.user))
    return import_page(
        request,
        page="sales/records/import.html",
        run=lambda upload: imports.import_records(
            upload, filename=upload.name, acting_user=request.user
        ),
        done=_("Imported %(file)s: %(created)s created, %(updated)s updated."),
        then="sales:records-import",
        blank="sales-records",
        csv=imports.template_csv,
        xlsx=imports.template_xlsx,
        max_bytes=settings.SALES_IMPORT_MAX_BYTES,
        context={"columns": imports.COLUMNS, "example": imports.example(timezone.localdate())},
    )


# --- customers and contacts ---------------------------------------------------------------------


def _distinct(customers: QuerySet[Customer], field: str) -> list[str]:
    return list(
        customers.exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()[:500]
    )


@login_required
def customer_list(request):
    user = request.user
    require(_uses_sales(user))
    visible = permissions.visible_customers(user)
    form = CustomerFilterForm(
        request.GET or None,
        owners=_sales_people(user),
        industries=_distinct(visible, "industry"),
        regions=_distinct(visible, "region"),
    )
    customers = selectors.customers_filtered(user=user, params=form.filter_params())
    today = timezone.localdate()
    due = (
        FollowUp.objects.filter(FollowUp.due_q(today), customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    customers = customers.select_related("owner").annotate(
        due_count=Coalesce(Subquery(due, output_field=IntegerField()), 0)
    )
    page = Paginator(customers.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/records/customers/list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "can_create": permissions.can_enter_sales(user),
            "show_owner": _sees_others(user),
        },
    )


def _customer_form_page(request, *, customer: Customer | None):
    user = request.user
    manages = permissions.can_manage_sales(user)
    owners = _with_current(
        permissions.possible_customer_owners(user), customer.owner_id if customer else None
    )
    data = request.POST if request.method == "POST" else None
    form = CustomerForm.for_customer(customer, data, owners=owners, user=user, manages=manages)

    def save(data):
        values = dict(data)
        if not manages:
            values["external_id"] = customer.external_id if customer else None
        return services.customer_save(customer=customer, acting_user=user, **values)

    def context():
        visible = permissions.visible_customers(user)
        return {
            "customer": customer,
            "industries": _distinct(visible, "industry"),
            "regions": _distinct(visible, "region"),
            "single_owner": len(form.fields["owner"].choices) == 1,
        }

    return form_page(
        request,
        form,
        save,
        page="sales/records/customers/form.html",
        context=context,
        then=lambda saved_customer: saved(
            request,
            _("The customer %(name)s is saved.") % {"name": saved_customer.name},
            "sales:customer-detail",
            pk=saved_customer.pk,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_new(request):
    require(permissions.can_enter_sales(request.user))
    return _customer_form_page(request, customer=None)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk):
    customer = permissions.customer_for_user(request.user, pk)
    require(permissions.can_change_customer(request.user, customer))
    return _customer_form_page(request, customer=customer)


def _followup_rows(queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """Open follow-ups due today or earlier first, then upcoming, then open ones without a
    next action date, then the done ones."""
    today = timezone.localdate()
    return queryset.select_related("customer", "salesperson").annotate(
        group=Case(
            When(FollowUp.due_q(today), then=Value(0)),
            When(done=False, next_action_on__gt=today, then=Value(1)),
            When(done=False, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    )


def _customer_context(request, customer: Customer, **extra) -> dict:
    user = request.user
    records = permissions.visible_records(user).filter(customer=customer)
    followups = _followup_rows(permissions.visible_followups(user).filter(customer=customer))
    return {
        "customer": customer,
        "contacts": list(customer.contacts.order_by("name", "pk")),
        "followups": list(
            followups.order_by("group", "next_action_on", "-happened_on", "-pk")[:20]
        ),
        "records": list(selectors.with_record_parts(records).order_by("-date", "-pk")[:10]),
        "totals": selectors.record_totals(records),
        "may_change": permissions.can_change_customer(user, customer),
        "may_follow_up": permissions.can_enter_sales(user),
        "may_enter": permissions.can_enter_sales(user),
        "manages": permissions.can_manage_sales(user),
        "contact_form": ContactForm(prefix="contact"),
        "today": timezone.localdate(),
        "back": request.get_full_path(),
        **extra,
    }


@login_required
def customer_detail(request, pk):
    customer = permissions.customer_for_user(request.user, pk)
    return render(
        request, "sales/records/customers/detail.html", _customer_context(request, customer)
    )


def _contact_for_customer(customer: Customer, pk) -> Contact:
    try:
        return customer.contacts.get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk, contact_pk=None):
    """Add (contact_pk None) or change a contact of a customer. With htmx the answer is
    the contact's row (or the form with its errors); otherwise the customer's page."""
    user = request.user
    customer = permissions.customer_for_user(user, pk)
    contact = _contact_for_customer(customer, contact_pk) if contact_pk is not None else None
    require(permissions.can_change_customer(user, customer))
    prefix = "contact" if contact is None else f"contact-{contact.pk}"
    data = request.POST if request.method == "POST" else None
    form = ContactForm.for_contact(contact, data, prefix=prefix)
    status = 200
    if request.method == "POST":
        done = submit(
            form,
            lambda: services.contact_save(
                customer=customer, contact=contact, acting_user=user, **form.cleaned_data
            ),
        )
        if done:
            saved = done.value
            if is_htmx(request):
                return render(
                    request,
                    "sales/records/customers/_contact_row.html",
                    {"contact": saved, "customer": customer, "may_change": True},
                )
            messages.success(request, _("The contact %(name)s is saved.") % {"name": saved.name})
            return redirect("sales:customer-detail", pk=customer.pk)
        status = 400
    if is_htmx(request) and contact is not None:
        return render(
            request,
            "sales/records/customers/_contact_form.html",
            {"form": form, "contact": contact, "customer": customer},
            status=status,
        )
    return render(
        request,
        "sales/records/customers/contact_form.html",
        {"form": form, "contact": contact, "customer": customer},
        status=status,
    )


@login_required
def contact_row(request, pk, contact_pk):
    """A contact's row (htmx: the edit form's cancel button swaps it back)."""
    customer = permissions.customer_for_user(request.user, pk)
    contact = _contact_for_customer(customer, contact_pk)
    return render(
        request,
        "sales/records/customers/_contact_row.html",
        {
            "contact": contact,
            "customer": customer,
            "may_change": permissions.can_change_customer(request.user, customer),
        },
    )


# --- follow-ups ----------------------------------------------------------------------------------


@login_required
def followup_list(request):
    user = request.user
    require(_uses_sales(user))
    form = FollowUpFilterForm(request.GET or None, people=_sales_people(user))
    followups = selectors.followups_filtered(user=user, params=form.filter_params())
    rows = _followup_rows(followups).order_by("group", "next_action_on", "-happened_on", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/records/followups/list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "today": timezone.localdate(),
            "can_create": permissions.can_enter_sales(user),
            "user_id": user.pk,
            "manages": permissions.can_manage_sales(user),
            "show_person": _sees_others(user),
            "back": request.get_full_path(),
        },
    )


def _followup_customers(user, current=None) -> QuerySet[Customer]:
    return _with_current(permissions.visible_customers(user).order_by("name", "pk"), current)


def _followup_form_page(request, *, followup: FollowUp | None):
    user = request.user
    customers = _followup_customers(user, followup.customer_id if followup else None)
    chosen = None
    wanted = request.GET.get("customer", "")
    if followup is None and wanted.isdigit():
        chosen = customers.filter(pk=wanted).first()
    data = request.POST if request.method == "POST" else None
    form = FollowUpForm.for_followup(followup, data, customers=customers, customer=chosen)
    return form_page(
        request,
        form,
        lambda data: services.followup_save(
            followup=followup,
            salesperson=followup.salesperson if followup else user,
            acting_user=user,
            **data,
        ),
        page="sales/records/followups/form.html",
        context=lambda: {
            "followup": followup,
            "has_customers": customers.exists(),
            "next": next_url(request, ""),
        },
        then=lambda saved_followup: saved(
            request,
            _("The follow-up with %(customer)s is saved.")
            % {"customer": saved_followup.customer.name},
            next_url(request, reverse("sales:followups")),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def followup_new(request):
    require(permissions.can_enter_sales(request.user))
    return _followup_form_page(request, followup=None)


@login_required
@require_http_methods(["GET", "POST"])
def followup_edit(request, pk):
    followup = permissions.followup_for_user(request.user, pk)
    require(permissions.can_change_followup(request.user, followup))
    return _followup_form_page(request, followup=followup)


@login_required
@require_POST
def followup_done(request, pk):
    user = request.user
    followup = permissions.followup_for_user(user, pk)
    require(permissions.can_change_followup(user, followup))
    done = attempt(lambda: services.followup_done(followup=followup, acting_user=user))
    error = done.message
    if done:
        followup = done.value
    if is_htmx(request):
        followup = _followup_rows(FollowUp.objects.filter(pk=followup.pk)).get()
        return render(
            request,
            "sales/records/followups/_row.html",
            {
                "f": followup,
                "today": timezone.localdate(),
                "user_id": user.pk,
                "manages": permissions.can_manage_sales(user),
                "error": error,
                "show_customer": request.POST.get("show_customer") != "0",
                "back": next_url(request, reverse("sales:followups")),
            },
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("The follow-up with %(customer)s is done.") % {"customer": followup.customer.name},
        )
    return redirect(next_url(request, reverse("sales:followups")))

"""URLs of the sales app: records, customers and follow-ups (included by sales.urls)."""

from django.urls import path

from sales.records import views

urlpatterns = [
    # sales records
    path("records/", views.record_list, name="records"),
    path("records/new/", views.record_new, name="record-new"),
    path("records/import/", views.records_import, name="records-import"),
    path("records/<int:pk>/", views.record_detail, name="record-detail"),
    path("records/<int:pk>/edit/", views.record_edit, name="record-edit"),
    path("records/<int:pk>/cancel/", views.record_cancel, name="record-cancel"),
    # customers and their contacts
    path("customers/", views.customer_list, name="customers"),
    path("customers/new/", views.customer_new, name="customer-new"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/contacts/new/", views.contact_edit, name="contact-new"),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/edit/",
        views.contact_edit,
        name="contact-edit",
    ),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/",
        views.contact_row,
        name="contact-row",
    ),
    # follow-ups
    path("followups/", views.followup_list, name="followups"),
    path("followups/new/", views.followup_new, name="followup-new"),
    path("followups/<int:pk>/edit/", views.followup_edit, name="followup-edit"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup-done"),
]

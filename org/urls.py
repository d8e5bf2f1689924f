from django.urls import path

from org import views

urlpatterns = [
    path("", views.home, name="home"),
    path("org/", views.org_tree, name="org-tree"),
    path("org/units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("org/people/", views.people_list, name="people-list"),
    path("org/people/<int:pk>/", views.person_detail, name="person-detail"),
    path(
        "org/people/<int:pk>/memberships/",
        views.person_add_membership,
        name="person-add-membership",
    ),
    path("org/memberships/<int:pk>/end/", views.membership_end, name="membership-end"),
    path("org/import/", views.org_import, name="org-import"),
    path(
        "org/import/template/<str:kind>.csv",
        views.org_import_template,
        name="org-import-template",
    ),
    path(
        "org/import/template.xlsx",
        views.org_import_template_xlsx,
        name="org-import-template-xlsx",
    ),
    path("periods/", views.periods, name="periods"),
    path("history/", views.audit_log, name="audit-log"),
]

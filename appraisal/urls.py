"""Pages of the appraisal app, mounted at /appraisal/."""

from django.urls import path

from appraisal import views

app_name = "appraisal"

urlpatterns = [
    # every salesperson: how they will be appraised
    path("", views.mine, name="mine"),
    # templates: read by everybody they are visible to, managed by the department
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template-new"),
    path("templates/<int:pk>/", views.template_detail, name="template-detail"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template-edit"),
    path("templates/<int:pk>/dimensions/new/", views.dimension_new, name="dimension-new"),
    path(
        "templates/<int:pk>/dimensions/<int:dimension_pk>/edit/",
        views.dimension_edit,
        name="dimension-edit",
    ),
    path(
        "templates/<int:pk>/dimensions/<int:dimension_pk>/delete/",
        views.dimension_delete,
        name="dimension-delete",
    ),
    path("templates/<int:pk>/grades/", views.bands, name="bands"),
    path("templates/<int:pk>/publish/", views.template_publish, name="template-publish"),
    path(
        "templates/<int:pk>/new-version/",
        views.template_new_version,
        name="template-new-version",
    ),
]

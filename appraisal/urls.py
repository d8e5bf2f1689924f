"""Pages of the appraisal app, mounted at /appraisal/."""

from django.urls import path

from appraisal.cycles import views as views_cycles
from appraisal.template import views

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
    # cycles: opened, computed, calibrated, finalised and released by the department
    path("cycles/", views_cycles.cycle_list, name="cycles"),
    path("cycles/new/", views_cycles.cycle_new, name="cycle-new"),
    path("cycles/<int:pk>/", views_cycles.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/compute/", views_cycles.cycle_compute, name="cycle-compute"),
    path("cycles/<int:pk>/finalise/", views_cycles.cycle_finalise, name="cycle-finalise"),
    path("cycles/<int:pk>/release/", views_cycles.cycle_release, name="cycle-release"),
    path("cycles/<int:pk>/calibration/", views_cycles.calibration, name="cycle-calibration"),
    # one appraisal: its working, and each step of its workflow
    path("to-rate/", views_cycles.to_rate, name="to-rate"),
    path("appraisals/<int:pk>/", views_cycles.appraisal_detail, name="appraisal-detail"),
    path(
        "appraisals/<int:pk>/self-assessment/",
        views_cycles.self_assessment,
        name="self-assessment",
    ),
    path("appraisals/<int:pk>/rating/", views_cycles.rating, name="rating"),
    path("appraisals/<int:pk>/peer-rating/", views_cycles.peer_rating, name="peer-rating"),
    path("appraisals/<int:pk>/adjust/", views_cycles.adjust, name="adjust"),
    path("appraisals/<int:pk>/finalise/", views_cycles.appraisal_finalise, name="finalise"),
    path("appraisals/<int:pk>/acknowledge/", views_cycles.acknowledge, name="acknowledge"),
    path("appraisals/<int:pk>/appeal/", views_cycles.appeal, name="appeal"),
    path("appraisals/<int:pk>/resolve/", views_cycles.resolve, name="resolve"),
]

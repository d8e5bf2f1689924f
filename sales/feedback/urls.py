"""URLs of the sales app: progress reports and customer satisfaction (included by
sales.urls)."""

from django.urls import path

from sales.feedback import views as views_feedback

urlpatterns = [
    # progress reports: the salesperson's own, writing, one report, the team page
    path("progress/", views_feedback.progress_mine, name="progress-mine"),
    path("progress/write/", views_feedback.progress_write, name="progress-write"),
    path("progress/team/", views_feedback.progress_team, name="progress-team"),
    path("progress/<int:pk>/", views_feedback.progress_detail, name="progress-detail"),
    path("progress/<int:pk>/comment/", views_feedback.progress_comment, name="progress-comment"),
    # customer satisfaction
    path("satisfaction/", views_feedback.satisfaction_list, name="satisfaction"),
    path("satisfaction/new/", views_feedback.satisfaction_new, name="satisfaction-new"),
    path("satisfaction/import/", views_feedback.satisfaction_import, name="satisfaction-import"),
]

"""Pages of the period close, mounted at /closing/."""

from django.urls import path

from closing import views

app_name = "closing"

urlpatterns = [
    path("", views.period_list, name="periods"),
    path("<int:pk>/close/", views.close_confirm, name="close"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("runs/", views.run_history, name="runs"),
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/<int:pk>/", views.schedule_change, name="schedule-change"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
]

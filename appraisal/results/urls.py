"""HR's appraisal results pages, mounted at /appraisal/results/ (namespace
`appraisal-results`)."""

from django.urls import path

from appraisal.results import views as views_results

app_name = "appraisal-results"

urlpatterns = [
    path("", views_results.result_list, name="list"),
    path("export/", views_results.result_export, name="export"),
]

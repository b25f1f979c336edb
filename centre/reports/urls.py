from django.urls import path

from centre.reports import views

app_name = "reports"

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/liste/<str:key>/", views.figure_rows, name="figure_rows"),
    path("rapports/", views.report_list, name="list"),
    path("rapports/nouveau/", views.report_create, name="create"),
    path("rapports/<int:pk>/", views.report_detail, name="detail"),
    path("rapports/<int:pk>/avancement/", views.report_progress, name="progress"),
    path("rapports/telecharger/<str:token>/", views.report_download, name="download"),
]

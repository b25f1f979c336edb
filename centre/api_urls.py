from django.urls import path

from centre import api

app_name = "api"

urlpatterns = [
    path("", api.api_root, name="root"),
    path("me/", api.me, name="me"),
    path("sites/", api.SiteList.as_view(), name="sites"),
]

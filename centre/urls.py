from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from centre import notification_views, views

handler400 = "centre.views.error_400"
handler403 = "centre.views.error_403"
handler404 = "centre.views.error_404"
handler500 = "centre.views.error_500"

urlpatterns = [
    path("", views.home, name="home"),
    path("accueil/", views.home_accueil, name="home_accueil"),
    path("soignant/", views.home_soignant, name="home_soignant"),
    path("mediation/", views.home_mediation, name="home_mediation"),
    path("facturation/", views.home_facturation, name="home_facturation"),
    path("direction/", views.home_direction, name="home_direction"),
    path("direction/equipe/", views.staff_list, name="staff_list"),
    path("direction/equipe/inviter/", views.staff_invite, name="staff_invite"),
    path(
        "direction/equipe/<int:user_id>/actif/<int:active>/",
        views.staff_set_active,
        name="staff_set_active",
    ),
    path("direction/journal/", views.audit_journal, name="audit_journal"),
    path("direction/journal/export.csv", views.audit_journal_csv, name="audit_journal_csv"),
    path("a-faire/", notification_views.inbox, name="notifications"),
    path("a-faire/compteur/", notification_views.badge, name="notifications_badge"),
    path("compte/jetons/", views.api_token_list, name="api_tokens"),
    path(
        "compte/jetons/<str:prefix>/revoquer/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("direction/", include("centre.reports.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("patients/", include("patients.urls")),
    path("rendez-vous/", include("appointments.urls")),
    path("facturation/suivi/", include("billing.urls")),
    path("mediation/activite/", include("outreach.urls")),
    path("participation/", include("outreach.participation.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("centre.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]

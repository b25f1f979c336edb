from django.urls import path

from appointments import schedule_views, type_views, views

app_name = "appointments"

urlpatterns = [
    path("", views.index, name="index"),
    path("jour/", views.day_view, name="day"),
    path("semaine/<int:practitioner_id>/", views.week_view, name="week"),
    path("mon-agenda/", views.my_agenda, name="my_agenda"),
    path("mon-agenda/aujourdhui/", views.my_today, name="my_today"),
    path("mon-agenda/lien-agenda/", views.calendar_feed, name="calendar_feed"),
    path("prochain-creneau/", views.next_slot, name="next_slot"),
    path("nouveau/", views.book, name="book"),
    path("nouveau/panneau/", views.book_panel, name="book_panel"),
    path("sans-rendez-vous/", views.walk_in, name="walk_in"),
    path("recherche-patient/", views.patient_picker, name="patient_picker"),
    path("salle-attente/", views.waiting_room, name="waiting_room"),
    path("a-completer/", views.to_fill_in, name="to_fill_in"),
    path("consultations/", views.consultations, name="consultations"),
    path("consultations/export.csv", views.consultations_csv, name="consultations_csv"),
    path("liste-attente/", views.waiting_list, name="waiting_list"),
    path("liste-attente/<int:pk>/retirer/", views.waiting_close, name="waiting_close"),
    path("liste-attente/<int:pk>/prevenu/", views.waiting_notify, name="waiting_notify"),
    path(
        "liste-attente/<int:pk>/proposer/<int:appointment_id>/",
        views.waiting_offer,
        name="waiting_offer",
    ),
    path("feuille-du-jour.pdf", views.day_sheet, name="day_sheet"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/deplacer/", views.move, name="move"),
    path("<int:pk>/deplacer-vers/", views.move_to, name="move_to"),
    path("<int:pk>/arrivee/", views.arrive, name="arrive"),
    path("<int:pk>/annuler-arrivee/", views.undo_arrival, name="undo_arrival"),
    path("<int:pk>/appeler/", views.call_in, name="call_in"),
    path("<int:pk>/vu/", views.seen, name="seen"),
    path("<int:pk>/absent/", views.no_show, name="no_show"),
    path("<int:pk>/annuler/", views.cancel, name="cancel"),
    path("agenda/<str:token>.ics", views.ics_feed, name="ics"),
    # Opening schedules and absences (reception, direction)
    path("plannings/", schedule_views.schedules, name="schedules"),
    path("plannings/hebdo/nouvelle/", schedule_views.weekly_create, name="weekly_create"),
    path("plannings/hebdo/<int:pk>/", schedule_views.weekly_edit, name="weekly_edit"),
    path("plannings/hebdo/<int:pk>/terminer/", schedule_views.weekly_end, name="weekly_end"),
    path("plannings/ponctuelle/nouvelle/", schedule_views.extra_create, name="extra_create"),
    path("plannings/ponctuelle/<int:pk>/", schedule_views.extra_edit, name="extra_edit"),
    path(
        "plannings/ponctuelle/<int:pk>/supprimer/",
        schedule_views.extra_delete,
        name="extra_delete",
    ),
    path("plannings/absences/nouvelle/", schedule_views.absence_create, name="absence_create"),
    path("plannings/absences/<int:pk>/", schedule_views.absence_edit, name="absence_edit"),
    path(
        "plannings/absences/<int:pk>/supprimer/",
        schedule_views.absence_delete,
        name="absence_delete",
    ),
    # Consultation types (reception, direction)
    path("motifs/", type_views.type_list, name="types"),
    path("motifs/nouveau/", type_views.type_create, name="type_create"),
    path("motifs/<int:pk>/modifier/", type_views.type_edit, name="type_edit"),
    path("motifs/<int:pk>/desactiver/", type_views.type_deactivate, name="type_deactivate"),
    path("motifs/<int:pk>/reactiver/", type_views.type_reactivate, name="type_reactivate"),
    path("motifs/<int:pk>/supprimer/", type_views.type_delete, name="type_delete"),
]

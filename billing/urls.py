from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("factures/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("factures/<int:invoice_id>/feuille-de-soins/", views.invoice_fse, name="invoice_fse"),
    path("factures/<int:invoice_id>/paiement/", views.payment_record, name="payment_record"),
    path("factures/<int:invoice_id>/verifier/", views.invoice_recheck, name="invoice_recheck"),
    path("factures/<int:invoice_id>/corriger/", views.invoice_correct, name="invoice_correct"),
    path("droits-ouverts/", views.pending_conversions, name="pending_conversions"),
    path("droits-ouverts/convertir/", views.pending_convert, name="pending_convert"),
    path("paiements/<int:payment_id>/recu.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("encaissements/", views.cashier, name="cashier"),
    path("lots/", views.batch_list, name="batch_list"),
    path("lots/construire/", views.batch_build, name="batch_build"),
    path("lots/progression/<str:run>/", views.batch_progress, name="batch_progress"),
    path("lots/<int:batch_id>/envoyer/", views.batch_send, name="batch_send"),
    path("lots/<int:batch_id>/fichier/", views.batch_download, name="batch_download"),
    path("retours/", views.return_import, name="return_import"),
    path("retours/exemple.txt", views.return_sample, name="return_sample"),
    path(
        "retours/<int:return_file_id>/progression/", views.return_progress, name="return_progress"
    ),
    path("rejets/", views.claims_to_work, name="claims_to_work"),
    path("listes/<slug:name>/", views.worklist, name="worklist"),
    path("listes/<slug:name>/export.csv", views.worklist_export, name="worklist_export"),
    path("a-rapprocher/<int:item_id>/", views.item_resolve, name="item_resolve"),
    path("demandes/<int:claim_id>/<str:action>/", views.claim_action, name="claim_action"),
    path("nomenclature/", views.fee_schedule, name="fee_schedule"),
    path("nomenclature/tarif/", views.tariff_add, name="tariff_add"),
    path(
        "consultations/<int:appointment_id>/cloturer/",
        views.close_consultation,
        name="close_consultation",
    ),
]

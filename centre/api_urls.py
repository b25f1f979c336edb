from django.urls import path

from appointments import api as appointments_api
from billing import api as billing_api
from centre import api
from centre.reports import api as reports_api
from outreach import api as outreach_api
from outreach.participation import api as participation_api
from patients import api as patients_api
from patients import api_identity as patients_identity_api

app_name = "api"

urlpatterns = [
    path("", api.api_root, name="root"),
    path("me/", api.me, name="me"),
    path("sites/", api.SiteList.as_view(), name="sites"),
    path("indicators/", reports_api.IndicatorList.as_view(), name="indicators"),
    path("reports/", reports_api.ReportRunListCreate.as_view(), name="reports"),
    path("reports/<int:pk>/", reports_api.ReportRunDetail.as_view(), name="report-detail"),
    path(
        "reports/<int:pk>/files/<str:fmt>/",
        reports_api.ReportRunFile.as_view(),
        name="report-file",
    ),
    path("outreach/places/", outreach_api.PlaceListCreate.as_view(), name="outreach-places"),
    path(
        "outreach/places/<int:pk>/",
        outreach_api.PlaceDetail.as_view(),
        name="outreach-place-detail",
    ),
    path(
        "outreach/permanences/",
        outreach_api.PermanenceListCreate.as_view(),
        name="outreach-permanences",
    ),
    path(
        "outreach/permanences/<int:pk>/cancel/",
        outreach_api.PermanenceCancel.as_view(),
        name="outreach-permanence-cancel",
    ),
    path("outreach/sessions/", outreach_api.SessionListCreate.as_view(), name="outreach-sessions"),
    path(
        "outreach/sessions/<int:pk>/",
        outreach_api.SessionDetail.as_view(),
        name="outreach-session-detail",
    ),
    path("outreach/referrals/", outreach_api.ReferralList.as_view(), name="outreach-referrals"),
    path(
        "outreach/collective-actions/",
        outreach_api.CollectiveActionList.as_view(),
        name="outreach-collective-actions",
    ),
    path(
        "outreach/collective-actions/<int:pk>/",
        outreach_api.CollectiveActionDetail.as_view(),
        name="outreach-collective-action-detail",
    ),
    path(
        "outreach/collective-actions/<int:pk>/attendees/",
        outreach_api.CollectiveActionAttendees.as_view(),
        name="outreach-collective-action-attendees",
    ),
    path(
        "outreach/collective-actions/<int:pk>/attendees/remove/",
        outreach_api.CollectiveActionAttendees.as_view(remove=True),
        name="outreach-collective-action-attendees-remove",
    ),
    path(
        "participation/surveys/",
        participation_api.SurveyList.as_view(),
        name="participation-surveys",
    ),
    path(
        "participation/surveys/<int:pk>/results/",
        participation_api.SurveyResults.as_view(),
        name="participation-survey-results",
    ),
    path(
        "participation/surveys/<int:pk>/sheets/",
        participation_api.SheetCreate.as_view(),
        name="participation-sheets",
    ),
    path("fee-schedule/", billing_api.FeeScheduleList.as_view(), name="fee-schedule"),
    path("fee-schedule/tariffs/", billing_api.TariffCreate.as_view(), name="tariff-create"),
    path(
        "fee-schedule/tariffs/<int:tariff_id>/",
        billing_api.TariffCorrect.as_view(),
        name="tariff-correct",
    ),
    path("invoices/", billing_api.InvoiceList.as_view(), name="invoices"),
    path("invoices/preview/", billing_api.InvoicePreview.as_view(), name="invoice-preview"),
    path("invoices/<int:invoice_id>/", billing_api.InvoiceDetail.as_view(), name="invoice-detail"),
    path(
        "invoices/pending-conversions/",
        billing_api.PendingConversions.as_view(),
        name="invoice-pending-conversions",
    ),
    path(
        "invoices/<int:invoice_id>/correct/",
        billing_api.InvoiceCorrect.as_view(),
        name="invoice-correct",
    ),
    path(
        "invoices/<int:invoice_id>/convert-pending/",
        billing_api.InvoiceConvertPending.as_view(),
        name="invoice-convert-pending",
    ),
    path("claims/", billing_api.ClaimList.as_view(), name="claims"),
    path("batches/", billing_api.BatchList.as_view(), name="batches"),
    path("batches/preview/", billing_api.BatchPreview.as_view(), name="batch-preview"),
    path("batches/<int:batch_id>/send/", billing_api.BatchSend.as_view(), name="batch-send"),
    path(
        "batches/<int:batch_id>/file/",
        billing_api.BatchDownload.as_view(),
        name="batch-download",
    ),
    path("returns/", billing_api.ReturnList.as_view(), name="returns"),
    path("worklists/<slug:name>/", billing_api.Worklist.as_view(), name="worklist"),
    path(
        "worklists/<slug:name>/export/",
        billing_api.WorklistExport.as_view(),
        name="worklist-export",
    ),
    path(
        "reconciliation-items/<int:item_id>/resolve/",
        billing_api.ItemResolve.as_view(),
        name="item-resolve",
    ),
    path("patients/", patients_api.PatientListCreate.as_view(), name="patients"),
    path("patients/<int:pk>/", patients_api.PatientDetail.as_view(), name="patient-detail"),
    path(
        "patients/<int:pk>/identity/document-check/",
        patients_identity_api.DocumentCheck.as_view(),
        name="patient-identity-document-check",
    ),
    path(
        "patients/<int:pk>/identity/ins-search/",
        patients_identity_api.InsSearch.as_view(),
        name="patient-identity-ins-search",
    ),
    path(
        "consultation-types/",
        appointments_api.ConsultationTypeList.as_view(),
        name="consultation-types",
    ),
    path(
        "consultation-types/<int:pk>/",
        appointments_api.ConsultationTypeDetail.as_view(),
        name="consultation-type-detail",
    ),
    path("slots/", appointments_api.SlotList.as_view(), name="slots"),
    path("appointments/", appointments_api.AppointmentListCreate.as_view(), name="appointments"),
    path(
        "appointments/<int:pk>/",
        appointments_api.AppointmentDetail.as_view(),
        name="appointment-detail",
    ),
    path(
        "appointments/<int:pk>/arrive/",
        appointments_api.AppointmentArrive.as_view(),
        name="appointment-arrive",
    ),
    path(
        "appointments/<int:pk>/seen/",
        appointments_api.AppointmentSeen.as_view(),
        name="appointment-seen",
    ),
    path(
        "appointments/<int:pk>/no-show/",
        appointments_api.AppointmentNoShow.as_view(),
        name="appointment-no-show",
    ),
    path(
        "appointments/waiting-room/",
        appointments_api.WaitingRoomView.as_view(),
        name="waiting-room",
    ),
    path(
        "appointments/<int:pk>/call-in/",
        appointments_api.AppointmentCallIn.as_view(),
        name="appointment-call-in",
    ),
    path(
        "appointments/<int:pk>/cancel/",
        appointments_api.AppointmentCancel.as_view(),
        name="appointment-cancel",
    ),
]

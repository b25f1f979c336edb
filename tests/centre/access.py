from __future__ import annotations

import datetime

from centre.reports.models import ReportRun
from tests.access import ALL_STAFF, AUTHENTICATED, PUBLIC, Access, World, roles

ACCESS = {
    "home": Access(AUTHENTICATED),
    "home_accueil": Access(roles("accueil")),
    "home_soignant": Access(roles("soignant")),
    "home_mediation": Access(roles("mediation")),
    "home_facturation": Access(roles("facturation")),
    "home_direction": Access(roles("direction")),
    "staff_list": Access(roles("direction")),
    "staff_invite": Access(roles("direction")),
    "staff_set_active": Access(
        roles("direction"),
        method="post",
        kwargs=lambda w: {"user_id": w.staff["accueil"].pk, "active": 1},
    ),
    "audit_journal": Access(roles("direction")),
    "audit_journal_csv": Access(roles("direction")),
    # Personal API tokens: every member of staff manages their own (not the volunteers).
    "api_tokens": Access(ALL_STAFF),
    # « À faire » and its header badge: every member of staff sees their own counts.
    "notifications": Access(ALL_STAFF),
    "notifications_badge": Access(ALL_STAFF),
    "api_token_revoke": Access(ALL_STAFF, method="post", kwargs=lambda w: {"prefix": "inconnu0"}),
    "healthz": Access(PUBLIC),
    # django-allauth: the entrance pages are public, account management needs a login.
    "account_login": Access(PUBLIC),
    "account_logout": Access(AUTHENTICATED),
    "account_inactive": Access(PUBLIC),
    "account_signup": Access(PUBLIC),  # answers "sign-up closed"
    "account_reauthenticate": Access(AUTHENTICATED),
    "account_request_reauthentication_code": Access(AUTHENTICATED),
    "account_confirm_reauthentication_code": Access(AUTHENTICATED),
    "account_email": Access(AUTHENTICATED),
    "account_email_verification_sent": Access(PUBLIC),
    "account_change_password": Access(AUTHENTICATED),
    "account_set_password": Access(AUTHENTICATED),
    "account_reset_password": Access(PUBLIC),
    "account_confirm_login_code": Access(PUBLIC, login_stage=True),
    "account_confirm_email": Access(PUBLIC, kwargs=lambda w: {"key": "cle-inconnue"}),
    "account_reset_password_from_key_done": Access(PUBLIC),
    "account_reset_password_from_key": Access(
        PUBLIC, kwargs=lambda w: {"uidb36": "zz", "key": "cle-inconnue"}
    ),
    "account_reset_password_done": Access(PUBLIC),
    "mfa_index": Access(AUTHENTICATED),
    "mfa_authenticate": Access(PUBLIC, login_stage=True),
    "mfa_reauthenticate": Access(AUTHENTICATED),
    "mfa_activate_totp": Access(AUTHENTICATED),
    "mfa_deactivate_totp": Access(AUTHENTICATED),
    "mfa_view_recovery_codes": Access(AUTHENTICATED),
    "mfa_generate_recovery_codes": Access(AUTHENTICATED),
    "mfa_download_recovery_codes": Access(AUTHENTICATED),
    # API
    "api:root": Access(AUTHENTICATED, api=True),
    "api:me": Access(AUTHENTICATED, api=True),
    "api:sites": Access(ALL_STAFF, api=True),
    "api_schema": Access(ALL_STAFF, api=True),
    "api_docs": Access(ALL_STAFF, api=True),
    # Reports and dashboard (centre/reports): direction only; billing staff may read the
    # billing indicators through the API.
    "reports:dashboard": Access(roles("direction")),
    "reports:figure_rows": Access(
        roles("direction"), kwargs=lambda w: {"key": "appointments.consultations"}
    ),
    "reports:list": Access(roles("direction")),
    "reports:create": Access(roles("direction"), method="post"),
    "reports:detail": Access(roles("direction"), kwargs=lambda w: {"pk": _report_run(w).pk}),
    "reports:progress": Access(roles("direction"), kwargs=lambda w: {"pk": _report_run(w).pk}),
    "reports:download": Access(roles("direction"), kwargs=lambda w: {"token": "jeton-inconnu"}),
    "api:indicators": Access(roles("direction", "facturation"), api=True),
    "api:reports": Access(roles("direction"), api=True),
    "api:report-detail": Access(
        roles("direction"), api=True, kwargs=lambda w: {"pk": _report_run(w).pk}
    ),
    "api:report-file": Access(
        roles("direction"), api=True, kwargs=lambda w: {"pk": _report_run(w).pk, "fmt": "pdf"}
    ),
}


def _report_run(w: World) -> ReportRun:
    if "report_run" not in w.cache:
        w.cache["report_run"] = ReportRun.objects.create(
            template="monthly_board",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 1, 31),
            requested_by=w.staff["direction"],
            suppression_threshold=5,
        )
    run: ReportRun = w.cache["report_run"]
    return run

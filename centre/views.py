from __future__ import annotations

import sys

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.defaults import bad_request

from centre import journal, mfa, selectors
from centre.forms import ApiTokenForm, StaffInviteForm, add_refusal, refusal_message
from centre.perms import acting_user, role_required, staff_required
from centre.refusals import NotFound, Refusal
from centre.roles import HOME_URL_NAMES, Role
from centre.services import api_tokens, staff


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = request.user.main_role  # type: ignore[union-attr]
    if role is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        raise PermissionDenied("Aucun rôle n'est attribué à votre compte : voyez la direction.")
    return redirect(HOME_URL_NAMES[role])


def _role_home(request: HttpRequest, role: Role, template: str, **context: object) -> HttpResponse:
    user = request.user
    profile = getattr(user, "profile", None)
    return render(
        request,
        template,
        {
            "role": role,
            "today": timezone.localdate(),
            "profile": profile,
            "sites": list(profile.sites.all()) if profile else [],
            **context,
        },
    )


@role_required(Role.ACCUEIL)
def home_accueil(request: HttpRequest) -> HttpResponse:
    return _role_home(request, Role.ACCUEIL, "centre/home_accueil.html")


@role_required(Role.SOIGNANT)
def home_soignant(request: HttpRequest) -> HttpResponse:
    return _role_home(request, Role.SOIGNANT, "centre/home_soignant.html")


@role_required(Role.MEDIATION)
def home_mediation(request: HttpRequest) -> HttpResponse:
    return _role_home(request, Role.MEDIATION, "centre/home_mediation.html")


@role_required(Role.FACTURATION)
def home_facturation(request: HttpRequest) -> HttpResponse:
    return _role_home(request, Role.FACTURATION, "centre/home_facturation.html")


@role_required(Role.DIRECTION)
def home_direction(request: HttpRequest) -> HttpResponse:
    centre = selectors.current_centre()
    return _role_home(
        request,
        Role.DIRECTION,
        "centre/home_direction.html",
        centre=centre,
        staff_counts=selectors.staff_counts_by_role(centre) if centre else {},
        roles=Role,
        recent_audit=list(selectors.recent_audit(10)),
    )


@role_required(Role.DIRECTION)
def staff_list(request: HttpRequest) -> HttpResponse:
    centre = selectors.current_centre()
    staff = list(selectors.staff_for_centre(centre)) if centre else []
    return render(request, "centre/staff_list.html", {"staff": staff})


@role_required(Role.DIRECTION)
def staff_invite(request: HttpRequest) -> HttpResponse:
    centre = selectors.current_centre()
    if centre is None:
        messages.error(request, "Créez d'abord le centre dans l'administration.")
        return redirect("home_direction")
    form = StaffInviteForm(request.POST or None, centre_id=centre.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff.staff_invite(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                sites=data["sites"],
                centre=centre,
                invited_by=acting_user(request),
                base_url=request.build_absolute_uri("/"),
                job_title=data["job_title"],
                profession=data["profession"],
                specialty=data["specialty"],
                rpps=data["rpps"],
            )
        except Refusal as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(
                request,
                f"Invitation envoyée à {user.email} : la personne choisira son mot de passe "
                "à partir du lien reçu.",
            )
            return redirect("staff_list")
    return render(request, "centre/staff_invite.html", {"form": form})


@require_POST
@role_required(Role.DIRECTION)
def staff_set_active(request: HttpRequest, user_id: int, active: int) -> HttpResponse:
    try:
        target = staff.staff_set_active(
            by=acting_user(request),
            user_id=user_id,
            active=bool(active),
            centre=selectors.current_centre(),
        )
    except NotFound as refusal:
        raise Http404(refusal.message) from refusal
    except Refusal as refusal:
        refusal_message(request, refusal)
    else:
        state = "réactivé" if active else "désactivé"
        messages.success(request, f"Le compte de {target} est {state}.")
    return redirect("staff_list")


@staff_required
def api_token_list(request: HttpRequest) -> HttpResponse:
    """The person's API tokens; a POST creates one. Creating asks for a recent
    re-authentication (allauth: the TOTP code for those who have one, else the password);
    the key is shown on this answer only, never stored in clear."""
    user = acting_user(request)
    form = ApiTokenForm(request.POST or None)
    new_key = None
    status = 200
    if request.method == "POST":
        mfa.require_recent_reauthentication(request)
        if form.is_valid():
            try:
                _token, new_key = api_tokens.token_create(
                    by=user,
                    owner=user,
                    name=form.cleaned_data["name"],
                    days=form.cleaned_data["days"],
                )
            except Refusal as refusal:
                add_refusal(form, refusal)
            else:
                form = ApiTokenForm()
                status = 200
        if new_key is None:
            status = 400
    response = render(
        request,
        "centre/api_tokens.html",
        {
            "form": form,
            "tokens": api_tokens.tokens_of(by=user),
            "new_key": new_key,
            "max_days": settings.API_TOKEN_DAYS,
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"  # the page may show a key
    return response


@require_POST
@staff_required
def api_token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    try:
        token = api_tokens.token_revoke(by=acting_user(request), prefix=prefix)
    except NotFound as refusal:
        raise Http404(refusal.message) from refusal
    else:
        messages.success(request, f"Le jeton « {token.name} » est révoqué.")
    return redirect("api_tokens")


@role_required(Role.DIRECTION)
def audit_journal(request: HttpRequest) -> HttpResponse:
    form = journal.JournalFilterForm(request.GET or None)
    filters = journal.JournalFilters.from_form(form)
    page = Paginator(journal.journal_entries(filters), 50).get_page(request.GET.get("page"))
    journal.journal_page_read(by=acting_user(request), filters=filters, shown=list(page))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "centre/audit_journal.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
        },
    )


@role_required(Role.DIRECTION)
def audit_journal_csv(request: HttpRequest) -> HttpResponse:
    form = journal.JournalFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Never the whole journal because a filter was mistyped.
        return HttpResponse(
            "Filtres invalides : corrigez-les sur la page du journal avant d'exporter.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = journal.journal_export_csv(
        by=acting_user(request), filters=journal.JournalFilters.from_form(form)
    )
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="journal-{stamp}.csv"'
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer and the compose healthcheck: 200 when the database
    answers, 503 otherwise. The broker is reported but optional outside production."""
    checks: dict[str, str] = {}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"erreur : {type(error).__name__}"
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
            client.ping()
            checks["broker"] = "ok"
        except redis.RedisError as error:
            checks["broker"] = f"erreur : {type(error).__name__}"
    else:
        checks["broker"] = "désactivé (tâches exécutées dans le processus web)"
    healthy = checks["database"] == "ok" and (
        checks["broker"] == "ok" or not settings.REDIS_URL or not settings.PRODUCTION
    )
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )


def _api_error(request: HttpRequest, status: int, detail: str) -> HttpResponse | None:
    """Under /api/ every answer is JSON, the errors Django raises before DRF included (an
    unknown URL, a CSRF refusal, a crash): a client never has to parse an HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return None


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 403, str(exception or "") or "Accès refusé.")
    return api or render(request, "403.html", {"reason": str(exception or "")}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 404, "Adresse inconnue de l'API.")
    return api or render(request, "404.html", status=404)


def _database_down(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is the database being unreachable."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _unavailable() -> HttpResponse:
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Saving the session (every request) fails when the database goes away mid-request:
    # Django reports it as a "session interrupted" 400; it is an outage, said as such.
    if _database_down(exception):
        return _unavailable()
    return _api_error(request, 400, "Requête invalide.") or bad_request(
        request, exception or Exception()
    )


def error_500(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context: its processors read the user and the session, so
    # they would fail again when the database is what failed.
    if _database_down(sys.exc_info()[1]):
        return _unavailable()
    api = _api_error(request, 500, "Erreur interne ; elle a été signalée.")
    return api or HttpResponse(loader.render_to_string("500.html"), status=500)

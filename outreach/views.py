"""Outreach pages. Thin: parse the form, call one service, redirect; reads go through
selectors. Roles per outreach/perms.py."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from centre.forms import add_refusal, refusal_message
from centre.models import StaffProfile
from centre.perms import acting_user, role_required
from centre.redirects import safe_next
from centre.refusals import Forbidden, NotFound, Refusal
from outreach import indicators, perms, selectors
from outreach.forms import (
    CollectiveActionForm,
    FileStepForm,
    OutcomeForm,
    PatientLinkForm,
    PeriodForm,
    PermanenceCancelForm,
    PermanenceForm,
    PersonMode,
    PlaceForm,
    ReasonForm,
    ReferralBookForm,
    SessionEditForm,
    SessionForm,
)
from outreach.models import (
    Channel,
    CollectiveAction,
    Permanence,
    Person,
    Place,
    Referral,
    ReferralTarget,
    RightsFile,
    RightsSession,
)
from outreach.services import (
    collective_actions,
    files,
    permanences,
    persons,
    places,
    referrals,
    sessions,
)
from patients.models import Patient


def _parse_day(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _parse_month(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if value else default.replace(day=1)
    except ValueError:
        return default.replace(day=1)


# --- Permanences --------------------------------------------------------------------------


@role_required(*perms.READ)
def permanence_day(request: HttpRequest) -> HttpResponse:
    """The day's permanences (today by default), then the next ones of the week."""
    today = timezone.localdate()
    day = _parse_day(request.GET.get("jour"), today)
    week = list(selectors.permanences_between(day, day + datetime.timedelta(days=6)))
    todays = [p for p in week if timezone.localtime(p.start).date() == day]
    later = [p for p in week if timezone.localtime(p.start).date() != day]
    return render(
        request,
        "outreach/permanence_day.html",
        {
            "day": day,
            "todays": todays,
            "later": later,
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "can_write": acting_user(request).has_role(*perms.WRITE),
        },
    )


@role_required(*perms.READ)
def permanence_calendar(request: HttpRequest) -> HttpResponse:
    first = _parse_month(request.GET.get("mois"), timezone.localdate())
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    by_day: dict[datetime.date, list[Permanence]] = {}
    for perm in selectors.permanences_between(first, last):
        by_day.setdefault(timezone.localtime(perm.start).date(), []).append(perm)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([(d, d.month == first.month, by_day.get(d, [])) for d in week])
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = last + datetime.timedelta(days=1)
    return render(
        request,
        "outreach/calendar.html",
        {
            "month": first,
            "weeks": weeks,
            "previous": previous,
            "following": following,
            "places": Place.objects.filter(is_active=True),
        },
    )


@role_required(*perms.READ)
def permanence_programme_pdf(request: HttpRequest) -> HttpResponse:
    """The month's programme of permanences, printable for partners (one or two pages)."""
    from weasyprint import HTML  # heavy import, only for this page

    first = _parse_month(request.GET.get("mois"), timezone.localdate())
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    # Cancelled permanences stay on the programme, marked « Annulée » with their reason:
    # a copy printed earlier may be pinned up at the partner's.
    qs = selectors.permanences_between(first, last)
    place_id = request.GET.get("lieu")
    place = None
    if place_id and place_id.isdigit():
        place = get_object_or_404(Place, pk=int(place_id))
        qs = qs.filter(place=place)
    html = render_to_string(
        "outreach/programme_pdf.html",
        {"month": first, "permanences": list(qs), "place": place},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="permanences-{first:%Y-%m}.pdf"'
    return response


@role_required(*perms.WRITE)
def permanence_new(request: HttpRequest) -> HttpResponse:
    form = PermanenceForm(
        request.POST or None, initial={"mediator": request.user, "first_day": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = permanences.permanence_schedule(by=acting_user(request), **data)
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"{len(created)} permanence(s) programmée(s).")
            return redirect(f"{reverse('outreach_calendar')}?mois={created[0].start:%Y-%m}")
    return render(request, "outreach/permanence_new.html", {"form": form})


@role_required(*perms.READ)
def permanence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    permanence = get_object_or_404(Permanence.objects.select_related("place", "mediator"), pk=pk)
    held = selectors.sessions_shown(
        by=acting_user(request), rows=list(selectors.permanence_sessions(permanence))
    )
    context: dict[str, Any] = {"permanence": permanence, "sessions": held}
    if acting_user(request).has_role(*perms.WRITE):
        context.update(_session_form_context(request, SessionForm(initial=_initial(permanence))))
        context["permanence_id"] = permanence.pk
        # The cancel form only where the service would accept it; it still checks (and says
        # why) if the page was stale.
        if not held and not permanence.cancel_refusal(now=timezone.now()):
            # Own ids: the page also holds the session form.
            context["cancel_form"] = PermanenceCancelForm(auto_id="cancel_%s")
    return render(request, "outreach/permanence_detail.html", context)


@require_POST
@role_required(*perms.WRITE)
def permanence_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """« Annuler cette permanence » (and, in a series, the following ones). Any mediator
    (perms)."""
    permanence = get_object_or_404(Permanence, pk=pk)
    form = PermanenceCancelForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(m) for msgs in form.errors.values() for m in msgs)
        messages.error(request, f"Rien n'est annulé : {errors}")
        return redirect("outreach_permanence", pk=pk)
    try:
        cancelled = permanences.permanence_cancel(
            by=acting_user(request),
            permanence=permanence,
            scope=form.cleaned_data["scope"],
            reason=form.cleaned_data["reason"],
        )
    except Refusal as error:
        refusal_message(request, error)
    else:
        if len(cancelled) == 1:
            messages.success(request, "Permanence annulée.")
        else:
            last = timezone.localtime(cancelled[-1].start)
            messages.success(
                request,
                f"{len(cancelled)} permanences annulées, jusqu'au {last:%d/%m/%Y}.",
            )
    return redirect("outreach_permanence", pk=pk)


# --- Sessions -----------------------------------------------------------------------------


def _initial(permanence: Permanence | None, person: Person | None = None) -> dict[str, Any]:
    initial: dict[str, Any] = {"started_at": timezone.localtime().strftime("%H:%M")}
    if permanence is not None:
        initial["neighbourhood"] = permanence.place.neighbourhood
    if person is not None:
        initial.update(person_mode=PersonMode.KNOWN, person=person.pk, first_contact="0")
    return initial


def _session_form_context(
    request: HttpRequest, form: SessionForm, person: Person | None = None
) -> dict[str, Any]:
    return {"form": form, "known_person": person}


@role_required(*perms.WRITE)
def session_new(request: HttpRequest) -> HttpResponse:
    """The 30-second form. GET ?permanence=&personne=; POST logs the session. Under HTMX an
    invalid form comes back as the partial, a valid one redirects (HX-Redirect)."""
    source = request.POST if request.method == "POST" else request.GET
    permanence = None
    perm_id = source.get("permanence")
    person_id = source.get("personne") or source.get("person")
    # A tampered id is not silently dropped (the session would be saved elsewhere).
    if not all(str(v).isdigit() for v in (perm_id, person_id) if v):
        raise Http404("Permanence ou personne inconnue.")
    if perm_id:
        permanence = get_object_or_404(Permanence.objects.select_related("place"), pk=perm_id)
    person = None
    if person_id:
        try:
            person = selectors.person_for_session_form(by=acting_user(request), pk=int(person_id))
        except NotFound as error:
            raise Http404(error.message) from error
    file_choices = (
        [(f.pk, f"{f.get_kind_display()} — {f.get_status_display()}") for f in person.files.open()]
        if person
        else []
    )
    form = SessionForm(
        request.POST or None,
        initial=_initial(permanence, person),
        file_choices=file_choices,
    )
    if request.method == "POST" and form.is_valid():
        session = _log_session(request, form, permanence)
        if session is not None:
            messages.success(request, f"Entretien enregistré : {session.person}.")
            for made in session.referrals.all():
                if made.fit_warning:
                    messages.warning(
                        request, f"Orientation enregistrée, à vérifier : {made.fit_warning}"
                    )
            target = (
                reverse("outreach_permanence", args=[permanence.pk])
                if permanence
                else reverse("outreach_person", args=[session.person_id])
            )
            if request.htmx:  # type: ignore[attr-defined]
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    context = {
        **_session_form_context(request, form, person),
        "permanence": permanence,
        "permanence_id": permanence.pk if permanence else "",
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "outreach/_session_form.html", context)
    return render(request, "outreach/session_new.html", context)


def _log_session(
    request: HttpRequest, form: SessionForm, permanence: Permanence | None
) -> RightsSession | None:
    data = form.cleaned_data
    mode = data["person_mode"]
    person = patient = anonymous = None
    if mode == PersonMode.KNOWN:
        person = Person.objects.filter(pk=data["person"]).first()
        if person is None:
            form.add_error("person", "Personne introuvable.")
            return None
    elif mode == PersonMode.PATIENT:
        patient = Patient.objects.filter(pk=data["patient"]).first()
        if patient is None:
            form.add_error("patient", "Patient·e introuvable.")
            return None
    else:
        anonymous = sessions.AnonymousPerson(
            sex=data["sex"],
            age_band=data["age_band"],
            in_qpv=data["in_qpv"],
            neighbourhood=data["neighbourhood"],
            language=data["language"],
            alias=data["alias"],
        )
    file = None
    if data.get("file"):
        file = RightsFile.objects.filter(pk=data["file"]).first()
    referral = None
    if data.get("referral_target"):
        referral = referrals.ReferralRequest(
            target=data["referral_target"],
            reason=data["referral_reason"],
            urgency=data["referral_urgency"],
            consultation_type=data.get("referral_consultation_type"),
            partner_name=data.get("referral_partner_name", ""),
        )
    today = timezone.localdate()
    session_input = sessions.SessionInput(
        held_on=timezone.localtime(permanence.start).date() if permanence else today,
        channel=Channel.PERMANENCE if permanence else Channel.CENTRE,
        permanence=permanence,
        topics=data["topics"],
        actions=data["actions"],
        started_at=data["started_at"],
        duration_minutes=data["duration_minutes"],
        situation=data["situation"],
        interpreting=data["interpreting"],
        interpreter_language=data["interpreter_language"],
        outcome=data["outcome"],
        followup_on=data["followup_on"],
        consent_on=data["consent_on"],
        consent_scope=data["consent_scope"],
        notes=data["notes"],
        file=file,
        open_file_kind=data["open_file_kind"],
        first_contact=data["first_contact"],
    )
    try:
        return sessions.session_log(
            by=acting_user(request),
            data=session_input,
            person=person,
            patient=patient,
            anonymous=anonymous,
            referral=referral,
        )
    except Refusal as error:
        add_refusal(form, error)
        return None


@role_required(*perms.WRITE, *perms.QUEUE_WRITE)
def patient_search(request: HttpRequest) -> HttpResponse:
    """HTMX partial: patients matching `q`, each a radio button for the session form."""
    query = request.GET.get("q", "").strip()
    patients = selectors.patients_found(by=acting_user(request), query=query)
    return render(request, "outreach/_patient_results.html", {"patients": patients, "query": query})


@role_required(*perms.READ)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        session = selectors.session_detail(by=acting_user(request), pk=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    return render(
        request,
        "outreach/session_detail.html",
        {
            "session": session,
            "referrals": list(session.referrals.select_related("consultation_type")),
            "can_write": acting_user(request).has_role(*perms.WRITE),
            "can_edit": perms.can_edit_session(acting_user(request), session),
        },
    )


@role_required(*perms.WRITE)
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a session: the session form pre-filled, without who was met nor the
    referral (see `sessions.SESSION_EDITABLE_FIELDS`); only its author may (perms)."""
    session = get_object_or_404(
        RightsSession.objects.select_related("person__patient", "place", "permanence", "file"),
        pk=pk,
    )
    if not perms.can_edit_session(acting_user(request), session):
        raise PermissionDenied(sessions.SESSION_EDIT_REFUSED)
    form = SessionEditForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            sessions.session_update(
                by=acting_user(request), session=session, changes=form.changes()
            )
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Entretien corrigé.")
            return redirect("outreach_session", pk=session.pk)
    return render(request, "outreach/session_edit.html", {"form": form, "session": session})


@require_POST
@role_required(*perms.WRITE)
def session_followup_done(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(RightsSession, pk=pk)
    try:
        sessions.session_followup_done(by=acting_user(request), session=session)
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Suivi marqué comme fait.")
    return redirect(safe_next(request, reverse("outreach_followups")))


@role_required(*perms.READ)
def followups(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    mine = request.GET.get("tous") != "1"
    user = acting_user(request)
    mediator = user if mine else None
    return render(
        request,
        "outreach/followups.html",
        {
            "today": today,
            "mine": mine,
            "followups": selectors.sessions_shown(
                by=user, rows=list(selectors.followups_due(on=today, mediator=mediator))
            ),
            "files": selectors.files_shown(
                by=user, rows=list(selectors.open_files(mediator=mediator))
            ),
        },
    )


@role_required(*perms.WRITE)
def home_panel(request: HttpRequest) -> HttpResponse:
    """The mediator's home blocks, loaded by HTMX from templates/centre/home_mediation.html
    (centre does not import outreach): today's permanences, follow-ups due, open files and
    patients whose rights end within 60 days or who have none."""
    today = timezone.localdate()
    user = acting_user(request)
    return render(
        request,
        "outreach/_home_panel.html",
        {
            "today": today,
            "permanences": list(selectors.permanences_between(today, today)),
            "followups": selectors.sessions_shown(
                by=user, rows=list(selectors.followups_due(on=today, mediator=user)[:20])
            ),
            "files": selectors.files_shown(
                by=user, rows=list(selectors.open_files(mediator=user)[:20])
            ),
            "worklist": selectors.worklist_excerpt(by=user, today=today),
        },
    )


# --- People and files ---------------------------------------------------------------------


@role_required(*perms.READ)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = selectors.person_detail(by=acting_user(request), pk=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    return render(
        request,
        "outreach/person_detail.html",
        {
            "person": person,
            "link_form": PatientLinkForm(),
            "can_write": acting_user(request).has_role(*perms.WRITE),
            "step_form": FileStepForm(),
        },
    )


@require_POST
@role_required(*perms.WRITE)
def person_link(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    form = PatientLinkForm(request.POST)
    if form.is_valid():
        patient = Patient.objects.filter(pk=form.cleaned_data["patient"]).first()
        if patient is None:
            messages.error(request, "Patient·e introuvable.")
            return redirect("outreach_person", pk=pk)
        try:
            person = persons.person_link_patient(
                by=acting_user(request),
                person=person,
                patient=patient,
                consent_on=form.cleaned_data["consent_on"],
            )
        except Refusal as error:
            refusal_message(request, error)
        else:
            messages.success(request, f"Personne rattachée au dossier de {patient}.")
            return redirect("outreach_person", pk=person.pk)
    else:
        messages.error(request, "Choisissez la ou le patient·e et la date de l'accord.")
    return redirect("outreach_person", pk=pk)


@require_POST
@role_required(*perms.WRITE)
def file_advance(request: HttpRequest, pk: int) -> HttpResponse:
    file = get_object_or_404(RightsFile, pk=pk)
    form = FileStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Étape du dossier incomplète : " + form.errors.as_text())
        return redirect("outreach_person", pk=file.person_id)
    data = form.cleaned_data
    try:
        files.file_advance(
            by=acting_user(request),
            file=file,
            step=data["step"],
            on=data["on"],
            how=data["how"],
            decision=data["decision"],
            effective_from=data["effective_from"],
        )
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Dossier mis à jour.")
    return redirect("outreach_person", pk=file.person_id)


# --- Places and collective actions --------------------------------------------------------


@role_required(*perms.READ)
def place_list(request: HttpRequest) -> HttpResponse:
    rows = Place.objects.select_related("site").annotate(permanence_count=Count("permanences"))
    return render(
        request,
        "outreach/place_list.html",
        {"places": list(rows), "can_write": acting_user(request).has_role(*perms.WRITE)},
    )


@role_required(*perms.WRITE)
def place_new(request: HttpRequest) -> HttpResponse:
    form = PlaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            place = places.place_create(by=acting_user(request), **form.cleaned_data)
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Lieu « {place} » ajouté.")
            return redirect("outreach_places")
    return render(request, "outreach/place_new.html", {"form": form})


@role_required(*perms.WRITE)
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a place, or mark it no longer used: the creation form pre-filled, plus « Lieu
    encore utilisé ». Any mediator may (places have no author); a place is never deleted."""
    place = get_object_or_404(Place.objects.select_related("site"), pk=pk)
    form = PlaceForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        try:
            place = places.place_update(
                by=acting_user(request), place=place, changes=form.cleaned_data
            )
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Lieu « {place} » modifié.")
            return redirect("outreach_places")
    return render(request, "outreach/place_edit.html", {"form": form, "place": place})


@role_required(*perms.READ)
def collective_action_list(request: HttpRequest) -> HttpResponse:
    qs = (
        CollectiveAction.objects.select_related("place", "organiser")
        .annotate(
            named=Count("attendees", distinct=True) + Count("attendee_persons", distinct=True)
        )
        .order_by("-held_on", "-pk")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    user = acting_user(request)
    can_write = user.has_role(*perms.WRITE)
    return render(
        request,
        "outreach/collective_action_list.html",
        {
            "page": page,
            "can_write": can_write,
            # The rows this user may correct (`perms.can_edit_collective_action`), without a
            # check per row: the ones they organised, while they hold the mediation role.
            "editor_id": user.pk if can_write and user.is_active else None,
        },
    )


@role_required(*perms.WRITE)
def collective_action_new(request: HttpRequest) -> HttpResponse:
    form = CollectiveActionForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            action = collective_actions.collective_action_create(
                by=acting_user(request), **form.cleaned_data
            )
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Action « {action.title} » enregistrée.")
            return redirect("outreach_collective_actions")
    return render(request, "outreach/collective_action_new.html", {"form": form})


@role_required(*perms.WRITE)
def collective_action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a collective action: the creation form pre-filled; only its organiser may
    (perms)."""
    action = get_object_or_404(CollectiveAction.objects.select_related("place"), pk=pk)
    if not perms.can_edit_collective_action(acting_user(request), action):
        raise PermissionDenied(collective_actions.COLLECTIVE_EDIT_REFUSED)
    form = CollectiveActionForm(request.POST or None, action=action)
    if request.method == "POST" and form.is_valid():
        try:
            action = collective_actions.collective_action_update(
                by=acting_user(request), action=action, changes=form.cleaned_data
            )
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Action « {action.title} » corrigée.")
            return redirect("outreach_collective_actions")
    return render(request, "outreach/collective_action_edit.html", {"form": form, "action": action})


# --- Referrals ----------------------------------------------------------------------------


@role_required(*perms.QUEUE_READ)
def referral_queue(request: HttpRequest) -> HttpResponse:
    """Referrals to the centre waiting for a consultation: reception's queue, the late ones
    first and counted."""
    queue = selectors.referral_queue_for(by=acting_user(request))
    now = timezone.now()
    return render(
        request,
        "outreach/referral_queue.html",
        {
            "referrals": queue,
            "overdue_count": sum(r.is_overdue(now) for r in queue),
            "can_book": acting_user(request).has_role(*perms.QUEUE_WRITE),
            "decline_form": ReasonForm(),
        },
    )


@role_required(*perms.QUEUE_WRITE)
def referral_book(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        referral = selectors.referral_for_booking(by=acting_user(request), pk=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    form = ReferralBookForm(
        request.POST or None,
        initial={
            "consultation_type": referral.consultation_type_id,
            "link_consent_on": timezone.localdate(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = None
        if data.get("patient"):
            patient = Patient.objects.filter(pk=data["patient"]).first()
        practitioner: StaffProfile = data["practitioner"]
        start = data["start"]
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        try:
            appointment = referrals.referral_book(
                by=acting_user(request),
                referral=referral,
                practitioner=practitioner,
                start=start,
                consultation_type=data["consultation_type"],
                patient=patient,
                link_consent_on=data.get("link_consent_on"),
            )
        except Refusal as error:
            add_refusal(form, error)
        else:
            local = timezone.localtime(appointment.start)
            messages.success(
                request, f"Rendez-vous programmé le {local:%d/%m/%Y à %H:%M} ({practitioner})."
            )
            return redirect("outreach_referral_queue")
    return render(request, "outreach/referral_book.html", {"referral": referral, "form": form})


@require_POST
@role_required(*perms.QUEUE_WRITE)
def referral_decline(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral, pk=pk, target=ReferralTarget.CENTRE)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        referrals.referral_decline(by=acting_user(request), referral=referral, reason=reason)
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Orientation refusée ; la médiation le verra.")
    return redirect("outreach_referral_queue")


@require_POST
@role_required(*perms.WRITE)
def referral_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral, pk=pk)
    try:
        referrals.referral_cancel(
            by=acting_user(request), referral=referral, reason=request.POST.get("reason", "")
        )
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Orientation annulée.")
    return redirect("outreach_person", pk=referral.person_id)


@require_POST
@role_required(*perms.WRITE)
def referral_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(Referral, pk=pk)
    form = OutcomeForm(request.POST)
    try:
        referrals.referral_record_outcome(
            by=acting_user(request),
            referral=referral,
            outcome=form.cleaned_data["outcome"] if form.is_valid() else "",
        )
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Suite de l'orientation enregistrée.")
    return redirect("outreach_person", pk=referral.person_id)


# --- Indicators ---------------------------------------------------------------------------


@role_required(*perms.READ)
def indicator_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    default = {"start": today.replace(month=1, day=1), "end": today}
    form = PeriodForm(request.GET or None, initial=default)
    results: list[indicators.Indicator] = []
    period = indicators.Period(default["start"], default["end"])
    site = None
    if request.GET and form.is_valid():
        period = indicators.Period(form.cleaned_data["start"], form.cleaned_data["end"])
        site = form.cleaned_data.get("site")
    results = indicators.compute_all(period, [site] if site else None)
    return render(
        request,
        "outreach/indicators.html",
        {"form": form, "results": results, "period": period, "site": site},
    )


# --- Named attendance of a collective action ----------------------------------------------


@role_required(*perms.READ)
def collective_action_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Who came to a collective action: the named attendees (patients, people met by the
    mediation) and the rest of the headcount; the organiser adds and removes names here."""
    user = acting_user(request)
    if request.method == "POST":
        action = get_object_or_404(CollectiveAction, pk=pk)
        patient = person = None
        raw_patient, raw_person = request.POST.get("patient"), request.POST.get("person")
        if raw_patient and raw_patient.isdigit():
            patient = Patient.objects.filter(pk=int(raw_patient)).first()
        if raw_person and raw_person.isdigit():
            person = Person.objects.filter(pk=int(raw_person)).first()
        try:
            if request.POST.get("remove"):
                collective_actions.collective_action_attendee_remove(
                    by=user, action=action, patient=patient, person=person
                )
                messages.success(request, "Personne retirée de la liste des présent·e·s.")
            else:
                collective_actions.collective_action_attendee_add(
                    by=user, action=action, patient=patient, person=person
                )
                messages.success(request, "Personne inscrite comme présente.")
        except Forbidden as error:
            raise PermissionDenied(error.message) from error
        except Refusal as error:
            refusal_message(request, error)
        return redirect("outreach_collective_action_attendance", pk=pk)
    try:
        attendance = selectors.collective_action_attendance(by=user, pk=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    can_edit = perms.can_edit_collective_action(user, attendance.action)
    return render(
        request,
        "outreach/collective_action_attendance.html",
        {
            "attendance": attendance,
            "can_edit": can_edit,
            "persons": selectors.persons_met_recently(by=user) if can_edit else [],
        },
    )


@role_required(*perms.READ)
def collective_action_sign_in_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The « feuille d'émargement » to print: named attendees, then empty lines for the others
    of the headcount (at least ten)."""
    try:
        attendance = selectors.collective_action_attendance(by=acting_user(request), pk=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    blank = max(attendance.unnamed, 10)
    return render(
        request,
        "outreach/collective_action_sign_in.html",
        {"attendance": attendance, "blank_lines": range(blank)},
    )

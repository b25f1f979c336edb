"""Reception agenda, booking and practitioners' agendas. Views are thin: they load objects
through the role-scoped querysets of `perms`, call one service and redirect."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from appointments import exports, ics, perms, selectors
from appointments.day_sheet import render_day_sheet
from appointments.forms import (
    BookingForm,
    CancelForm,
    ConsultationFilterForm,
    DayFilterForm,
    MoveForm,
    NextSlotForm,
    WaitingListForm,
    WalkInForm,
)
from appointments.languages import LANGUAGE_NAMES
from appointments.models import (
    Appointment,
    AppointmentQuerySet,
    CalendarFeed,
    ConsultationType,
    Status,
    WaitingListEntry,
    WaitingListOffer,
)
from appointments.services import booking, calendar_feeds, moves, statuses, walk_ins
from appointments.services import waiting_list as waiting_services
from appointments.slots import PARIS, public_holiday_names
from centre import audit
from centre.forms import add_refusal, refusal_message
from centre.models import Centre, Site, StaffProfile, User
from centre.perms import acting_user, role_required
from centre.redirects import safe_next
from centre.refusals import Refusal
from centre.reports.indicators import percent
from centre.roles import Role
from patients.models import Patient
from patients.selectors import patients_search


def _default_site(user: User) -> Site | None:
    profile = getattr(user, "profile", None)
    if profile is not None:
        site = profile.sites.filter(is_active=True).order_by("pk").first()
        if site is not None:
            return site
    return Site.objects.filter(is_active=True).order_by("pk").first()


def _parse_day(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _next_url(request: HttpRequest, fallback: str) -> str:
    return safe_next(request, fallback)


# --- agenda views ---------------------------------------------------------------------------


@role_required(*perms.READ_AGENDA)
def index(request: HttpRequest) -> HttpResponse:
    """« /rendez-vous/ » typed by hand or bookmarked: a practitioner lands on their own agenda,
    reception and the director on the centre's day."""
    user = acting_user(request)
    if user.has_role(Role.SOIGNANT) and not user.has_role(Role.ACCUEIL, Role.DIRECTION):
        return redirect("appointments:my_agenda")
    return redirect("appointments:day")


def _chosen_type(request: HttpRequest) -> ConsultationType | None:
    type_id = request.GET.get("type")
    if type_id and type_id.isdigit():
        return ConsultationType.objects.filter(pk=int(type_id), is_active=True).first()
    return None


@role_required(*perms.READ_AGENDA)
def day_view(request: HttpRequest) -> HttpResponse:
    """A site's day as a time grid: rows are 5-minute steps of the opening hours, columns
    the practitioners; appointments in place with their motif's colour, free time in place
    (a link to book there), the chosen motif's bookable slots highlighted, absences and
    public holidays shaded. HTMX refreshes heading, filters and grid together."""
    user = acting_user(request)
    site = None
    site_id = request.GET.get("site")
    if site_id and site_id.isdigit():
        site = Site.objects.filter(pk=int(site_id), is_active=True).first()
    site = site or _default_site(user)
    day = _parse_day(request.GET.get("date"), timezone.localdate())
    consultation_type = _chosen_type(request)
    form = DayFilterForm(
        initial={"site": site, "date": day, "type": consultation_type},
    )
    # « Prendre un rendez-vous » from a patient record: the free slots book for them.
    raw_patient = request.GET.get("patient", "")
    booking_for = (
        Patient.objects.active().filter(pk=int(raw_patient)).first()
        if raw_patient.isdigit()
        else None
    )
    grid = (
        selectors.day_grid(by=user, site=site, day=day, consultation_type=consultation_type)
        if site
        else None
    )
    holiday = public_holiday_names(day, day, site.holiday_subdivision).get(day, "") if site else ""
    context = {
        "form": form,
        "site": site,
        "day": day,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "consultation_type": consultation_type,
        "grid": grid,
        "columns": grid.columns if grid else [],
        "holiday": holiday,
        "booking_for": booking_for,
        "can_book": perms.can_book(user),
        "can_move": perms.can_book(user),
        "can_mark_all": user.is_superuser or user.has_role(Role.ACCUEIL),
        "sheet_day": selectors.next_working_day(site, timezone.localdate()) if site else None,
    }
    template = "appointments/_day_grid.html" if request.htmx else "appointments/day.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _week_context(
    by: User,
    practitioner: StaffProfile,
    day: datetime.date,
    consultation_type: ConsultationType | None = None,
) -> dict[str, Any]:
    monday = day - datetime.timedelta(days=day.weekday())
    grid = selectors.week_grid(
        by=by, practitioner=practitioner, monday=monday, consultation_type=consultation_type
    )
    return {
        "practitioner": practitioner,
        "monday": monday,
        "day": day,
        "grid": grid,
        "consultation_type": consultation_type,
        "types": list(
            ConsultationType.objects.filter(is_active=True, profession=practitioner.profession)
        ),
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "can_book": perms.can_book(by),
        "can_move": perms.can_book(by),
        "can_mark_all": by.is_superuser or by.has_role(Role.ACCUEIL),
    }


@role_required(*perms.READ_AGENDA)
def week_view(request: HttpRequest, practitioner_id: int) -> HttpResponse:
    user = acting_user(request)
    practitioner = get_object_or_404(selectors.practitioners_qs(), pk=practitioner_id)
    if not perms.sees_all(user) and practitioner.user_id != user.pk:
        raise PermissionDenied("Vous ne voyez que votre propre agenda.")
    day = _parse_day(request.GET.get("date"), timezone.localdate())
    context = _week_context(user, practitioner, day, _chosen_type(request))
    context["practitioners"] = list(selectors.practitioners_qs()) if perms.sees_all(user) else []
    context["week_url"] = reverse("appointments:week", args=[practitioner.pk])
    template = "appointments/_week_grid.html" if request.htmx else "appointments/week.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@role_required(Role.SOIGNANT)
def my_agenda(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    practitioner = selectors.practitioner_of(user)
    if practitioner is None:
        raise PermissionDenied("Votre profil n'indique pas de profession de soin.")
    day = _parse_day(request.GET.get("date"), timezone.localdate())
    context = _week_context(user, practitioner, day, _chosen_type(request))
    context["own"] = True
    context["week_url"] = reverse("appointments:my_agenda")
    # The practitioner calls their patients in from here (salle d'attente).
    context["room"] = selectors.waiting_room(
        by=user, day=timezone.localdate(), practitioner=practitioner
    )
    context["now"] = timezone.now()
    context["feed"] = CalendarFeed.objects.filter(
        practitioner=practitioner, revoked_at__isnull=True
    ).first()
    template = "appointments/_week_grid.html" if request.htmx else "appointments/week.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@role_required(Role.SOIGNANT)
def my_today(request: HttpRequest) -> HttpResponse:
    """The practitioner's appointments of the day (HTMX fragment for the soignant home)."""
    user = acting_user(request)
    practitioner = selectors.practitioner_of(user)
    appointments: list[Appointment] = []
    room = None
    if practitioner is not None:
        start, end = selectors.day_bounds(timezone.localdate())
        appointments = selectors.week_agenda(
            by=user, practitioner=practitioner, start=start, end=end
        )
        # Who is waiting, from the same rows (no second read): arrival order.
        room = selectors.WaitingRoom(
            waiting=sorted(
                (a for a in appointments if a.waiting),
                key=lambda a: (a.arrived_at or a.start, a.pk),
            )
        )
    return render(
        request,
        "appointments/_my_today.html",
        {
            "appointments": appointments,
            "practitioner": practitioner,
            "room": room,
            "now": timezone.now(),
        },
    )


@role_required(Role.ACCUEIL)
def next_slot(request: HttpRequest) -> HttpResponse:
    form = NextSlotForm(request.GET or None)
    slot = None
    searched = False
    practitioner = None
    if form.is_valid():
        searched = True
        data = form.cleaned_data
        slot = selectors.next_free_slot(
            selectors.SlotQuery(
                consultation_type=data["type"],
                first_day=timezone.localdate(),
                last_day=timezone.localdate(),
                site_id=data["site"].pk if data["site"] else None,
                women_only=data["women_only"],
                morning_only=data["morning_only"],
                language=data["language"],
            )
        )
        if slot is not None:
            practitioner = StaffProfile.objects.select_related("user").get(pk=slot.practitioner_id)
    return render(
        request,
        "appointments/next_slot.html",
        {"form": form, "slot": slot, "searched": searched, "practitioner": practitioner},
    )


# --- booking --------------------------------------------------------------------------------


@role_required(Role.ACCUEIL)
def patient_picker(request: HttpRequest) -> HttpResponse:
    """HTMX fragment: patients matching the search box, as radio buttons named `patient`."""
    query = request.GET.get("q", "").strip()
    # The patients offered are journaled like the search page's (`patient.search`, ids shown).
    patients = (
        patients_search(by=acting_user(request), query=query, page_size=10).patients
        if len(query) >= 2
        else []
    )
    return render(
        request,
        "appointments/_patient_picker.html",
        {"patients": patients, "query": query},
    )


def _chosen_patient(form: Any, request: HttpRequest) -> Patient | None:
    """The patient a booking, walk-in or waiting-list form was opened for (`?patient=`): their
    name and birth date are shown, so the read is journaled by the selector."""
    raw = (request.POST or request.GET).get("patient")
    if raw and str(raw).isdigit():
        return selectors.patient_chosen(by=acting_user(request), pk=int(raw))
    return None


def _book_from(form: BookingForm, *, by: User) -> Appointment:
    """The booking page and the grid's panel book the same way: the form's cleaned data
    into `booking.appointment_book` (which checks every rule)."""
    data = form.cleaned_data
    return booking.appointment_book(
        patient=data["patient"],
        practitioner=data["practitioner"],
        consultation_type=data["consultation_type"],
        site=data["site"],
        start=form.start(),
        by=by,
        interpreter_language=data["interpreter_language"],
        note=data["note"],
        send_confirmation=data["send_confirmation"],
        force_reason=data["force_reason"],
    )


@role_required(Role.ACCUEIL)
def book(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    show_force = False
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            try:
                appointment = _book_from(form, by=user)
            except Refusal as error:
                show_force = _refused(form, error)
            else:
                local = timezone.localtime(appointment.start)
                messages.success(
                    request,
                    f"Rendez-vous pris pour {appointment.patient} le "
                    f"{_long_date(local.date())} à {local:%H:%M} avec {appointment.practitioner}.",
                )
                return redirect(
                    f"{reverse('appointments:day')}?site={appointment.site_id}"
                    f"&date={local.date().isoformat()}"
                )
    else:
        form = BookingForm(initial=_panel_initial(request, user))
    return render(
        request,
        "appointments/book.html",
        {
            "form": form,
            "patient": _chosen_patient(form, request),
            "show_force": show_force or _forcing(form),
        },
    )


def _panel_initial(request: HttpRequest, user: User) -> dict[str, Any]:
    """The booking form's initial values from the grid's link (slot, practitioner, site,
    motif, patient), for the booking page and the grid's panel alike."""
    initial: dict[str, Any] = {"site": _default_site(user)}
    start = request.GET.get("start")
    if start:
        try:
            local = datetime.datetime.fromisoformat(start).astimezone(PARIS)
        except ValueError:
            local = None
        if local is not None:
            initial.update(date=local.date(), time=local.time().replace(second=0))
    for key in ("practitioner", "site", "patient"):
        value = request.GET.get(key)
        if value and value.isdigit():
            initial[key] = int(value)
    type_id = request.GET.get("type")
    if type_id and type_id.isdigit():
        initial["consultation_type"] = int(type_id)
    return initial


@role_required(*perms.BOOK)
def book_panel(request: HttpRequest) -> HttpResponse:
    """Book in place (HTMX panel beside the grid): the slot's recap, patient search, motif,
    interpreter, note. Booked through `booking.appointment_book`, like the booking page;
    once booked the grid refreshes around the panel (static/js/agenda.js)."""
    user = acting_user(request)
    show_force = False
    booked = None
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            try:
                booked = _book_from(form, by=user)
            except Refusal as error:
                show_force = _refused(form, error)
    else:
        initial = _panel_initial(request, user)
        # One motif for the practitioner's profession: chosen already (one keystroke less).
        chosen = selectors.practitioners_qs().filter(pk=initial.get("practitioner") or 0).first()
        if "consultation_type" not in initial and chosen is not None:
            only = list(
                ConsultationType.objects.filter(
                    is_active=True, profession=chosen.profession
                ).values_list("pk", flat=True)[:2]
            )
            if len(only) == 1:
                initial["consultation_type"] = only[0]
        form = BookingForm(initial=initial)
    recap = _panel_recap(form)
    return render(
        request,
        "appointments/_book_panel.html",
        {
            "form": form,
            "patient": _chosen_patient(form, request),
            "show_force": show_force or _forcing(form),
            "booked": booked,
            "recap": recap,
            "languages": sorted(set(LANGUAGE_NAMES.values()) - {"autre langue"}),
        },
    )


def _panel_recap(form: Any) -> dict[str, Any]:
    """What the panel says of the chosen slot: day, time, practitioner, site."""
    source = form.data if form.is_bound else form.initial
    recap: dict[str, Any] = {}
    try:
        if form.is_bound and form.is_valid():
            recap["start"] = form.start()
        elif not form.is_bound and "date" in source and "time" in source:
            recap["start"] = datetime.datetime.combine(source["date"], source["time"], PARIS)
    except (KeyError, ValueError):
        pass
    pk = source.get("practitioner")
    if pk and str(pk).isdigit():
        recap["practitioner"] = selectors.practitioners_qs().filter(pk=int(pk)).first()
    site = source.get("site")
    site_pk = site.pk if isinstance(site, Site) else site
    if site_pk and str(site_pk).isdigit():
        recap["site"] = Site.objects.filter(pk=int(site_pk)).first()
    return recap


@require_POST
@role_required(*perms.BOOK)
def move_to(request: HttpRequest, pk: int) -> JsonResponse:
    """Drag and drop (or the keyboard's move mode) on the grid: the new start and, when
    dropped in another column, practitioner. Every rule is the moves service's; a refusal
    answers its French message and the grid puts the appointment back."""
    user = acting_user(request)
    appointment = get_object_or_404(perms.appointments_for(user), pk=pk)
    try:
        start = datetime.datetime.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        return JsonResponse({"ok": False, "message": "Heure de début illisible."}, status=400)
    if timezone.is_naive(start):
        start = start.replace(tzinfo=PARIS)
    practitioner = None
    raw = request.POST.get("practitioner", "")
    if raw:
        practitioner = (
            selectors.practitioners_qs().filter(pk=int(raw)).first() if raw.isdigit() else None
        )
        if practitioner is None:
            return JsonResponse({"ok": False, "message": "Soignant·e inconnu·e."}, status=400)
    try:
        moved = moves.appointment_move(
            appointment=appointment,
            start=start,
            practitioner=practitioner,
            by=user,
            force_reason=request.POST.get("force_reason", "").strip(),
        )
    except Refusal as error:
        return JsonResponse(
            {
                "ok": False,
                "message": error.message,
                "can_force": isinstance(error, booking.RuleRefused) and error.can_force,
                # Forcing needs a reason: the move form of the appointment asks for it.
                "move_url": reverse("appointments:move", args=[appointment.pk]),
            },
            status=error.http_status,
        )
    local = timezone.localtime(moved.start)
    return JsonResponse(
        {
            "ok": True,
            "message": f"Rendez-vous déplacé au {_long_date(local.date())} à {local:%H:%M} "
            f"avec {moved.practitioner}.",
            "start": moved.start.isoformat(),
            "practitioner": moved.practitioner_id,
        }
    )


def _refused(form: Any, error: Refusal) -> bool:
    """Put a refusal on the form; True when it is a booking rule the person may force (the
    page then offers « Forcer (motif obligatoire) »)."""
    add_refusal(form, error)
    return isinstance(error, booking.RuleRefused) and error.can_force


def _forcing(form: Any) -> bool:
    """A reason already typed stays visible (a second refusal, another field's error)."""
    return bool(form.is_bound and form.data.get("force_reason", "").strip())


def _long_date(day: datetime.date) -> str:
    from appointments.templatetags.appointments_tags import french_date

    return french_date(day, "l j F Y")


@role_required(*perms.READ_APPOINTMENTS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    appointment = selectors.appointment_detail(by=user, pk=pk)
    candidates = (
        list(
            selectors.waiting_candidates(appointment).prefetch_related(
                Prefetch(
                    "offers",
                    queryset=WaitingListOffer.objects.filter(freed=appointment),
                    to_attr="offers_for_slot",
                )
            )[:10]
        )
        if not appointment.is_active and user.has_role(Role.ACCUEIL)
        else []
    )
    return render(
        request,
        "appointments/detail.html",
        {
            "appointment": appointment,
            "reminders": list(appointment.reminders.order_by("created_at")),
            "cancel_form": CancelForm(),
            "can_manage": user.is_superuser or user.has_role(Role.ACCUEIL),
            "can_mark_own": perms.can_mark(user, appointment, action="arrive"),
            # The practitioner closes their own consultation with its acts (billing).
            "can_close": user.has_role(Role.SOIGNANT)
            and appointment.practitioner.user_id == user.pk
            and appointment.status in ("booked", "arrived", "seen"),
            "candidates": candidates,
        },
    )


@role_required(Role.ACCUEIL)
def move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(selectors.with_related(Appointment.objects.all()), pk=pk)
    local = timezone.localtime(appointment.start)
    form = MoveForm(
        request.POST or None,
        initial={
            "date": local.date(),
            "time": local.time(),
            "practitioner": appointment.practitioner_id,
            "site": appointment.site_id,
        },
    )
    show_force = False
    if request.method == "POST" and form.is_valid():
        try:
            moved = moves.appointment_move(
                appointment=appointment,
                start=form.start(),
                practitioner=form.cleaned_data["practitioner"],
                site=form.cleaned_data["site"],
                force_reason=form.cleaned_data["force_reason"],
                by=acting_user(request),
            )
        except Refusal as error:
            show_force = _refused(form, error)
        else:
            new_local = timezone.localtime(moved.start)
            messages.success(
                request,
                f"Rendez-vous déplacé au {_long_date(new_local.date())} à {new_local:%H:%M}.",
            )
            return redirect("appointments:detail", pk=moved.pk)
    return render(
        request,
        "appointments/move.html",
        {
            "form": form,
            "appointment": appointment,
            "show_force": show_force or _forcing(form),
        },
    )


_TRANSITIONS = {
    "arrive": (statuses.appointment_mark_arrived, "Arrivée notée."),
    "seen": (statuses.appointment_mark_seen, "Consultation notée comme faite."),
    "no_show": (statuses.appointment_mark_no_show, "Absence non excusée notée."),
    "undo_arrival": (statuses.appointment_undo_arrival, "Arrivée annulée."),
    "call": (statuses.appointment_call_in, "Patient·e appelé·e en consultation."),
}


def _transition_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = acting_user(request)
    appointment = get_object_or_404(
        perms.appointments_for(user).select_related("practitioner"), pk=pk
    )
    if not perms.can_mark(user, appointment, action=action):
        raise PermissionDenied("Vous ne pouvez pas changer ce rendez-vous.")
    service, done = _TRANSITIONS[action]
    try:
        service(appointment=appointment, by=user)
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, done)
    return redirect(_next_url(request, reverse("appointments:detail", args=[pk])))


@require_POST
@role_required(Role.ACCUEIL, Role.SOIGNANT)
def arrive(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "arrive")


@require_POST
@role_required(Role.ACCUEIL, Role.SOIGNANT)
def seen(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "seen")


@require_POST
@role_required(Role.ACCUEIL, Role.SOIGNANT)
def call_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The practitioner calls the patient from the waiting room (« en consultation »)."""
    return _transition_view(request, pk, "call")


@require_POST
@role_required(Role.ACCUEIL)
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "no_show")


@require_POST
@role_required(Role.ACCUEIL)
def undo_arrival(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(request, pk, "undo_arrival")


@require_POST
@role_required(Role.ACCUEIL)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(Appointment, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez qui annule le rendez-vous.")
        return redirect("appointments:detail", pk=pk)
    try:
        statuses.appointment_cancel(
            appointment=appointment,
            by=acting_user(request),
            by_patient=form.cleaned_data["by_patient"],
            reason=form.cleaned_data["reason"],
        )
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(
            request,
            "Rendez-vous annulé. Le créneau est libre : voyez ci-dessous la liste d'attente.",
        )
    return redirect("appointments:detail", pk=pk)


@role_required(Role.ACCUEIL)
def walk_in(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = WalkInForm(request.POST or None, initial={"site": _default_site(user)})
    show_force = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = walk_ins.appointment_record_walk_in(
                patient=data["patient"],
                practitioner=data["practitioner"],
                consultation_type=data["consultation_type"],
                site=data["site"],
                force_reason=data["force_reason"],
                by=user,
            )
        except Refusal as error:
            show_force = _refused(form, error)
        else:
            messages.success(
                request,
                f"{appointment.patient} est en salle d'attente (sans rendez-vous, arrivé·e à "
                f"{timezone.localtime(appointment.arrived_at):%H:%M}).",
            )
            return redirect(f"{reverse('appointments:waiting_room')}?site={appointment.site_id}")
    return render(
        request,
        "appointments/walk_in.html",
        {
            "form": form,
            "patient": _chosen_patient(form, request),
            "show_force": show_force or _forcing(form),
        },
    )


@role_required(Role.ACCUEIL, Role.SOIGNANT, Role.DIRECTION)
def to_fill_in(request: HttpRequest) -> HttpResponse:
    """Past appointments without a final status: statistics are only true once it is empty."""
    user = acting_user(request)
    practitioner = None if perms.sees_all(user) else selectors.practitioner_of(user)
    if not perms.sees_all(user) and practitioner is None:
        raise PermissionDenied("Votre profil n'indique pas de profession de soin.")
    appointments = list(selectors.to_fill_in(practitioner=practitioner)[:200])
    selectors.appointments_shown(by=user, appointments=appointments)
    return render(
        request,
        "appointments/to_fill_in.html",
        {
            "appointments": appointments,
            "can_mark_all": user.is_superuser or user.has_role(Role.ACCUEIL),
        },
    )


# --- waiting room ---------------------------------------------------------------------------


@role_required(*perms.READ_AGENDA)
def waiting_room(request: HttpRequest) -> HttpResponse:
    """Today's waiting room: reception sees the site's, a practitioner their own patients
    (whom they call in from here or from their agenda)."""
    user = acting_user(request)
    own = None if perms.sees_all(user) else selectors.practitioner_of(user)
    if not perms.sees_all(user) and own is None:
        raise PermissionDenied("Votre profil n'indique pas de profession de soin.")
    site = None
    if own is None:
        site_id = request.GET.get("site")
        if site_id and site_id.isdigit():
            site = Site.objects.filter(pk=int(site_id), is_active=True).first()
        site = site or _default_site(user)
    room = selectors.waiting_room(by=user, day=timezone.localdate(), site=site, practitioner=own)
    template = (
        "appointments/_waiting_room.html"
        if request.htmx  # type: ignore[attr-defined]
        else "appointments/waiting_room.html"
    )
    return render(
        request,
        template,
        {
            "room": room,
            "site": site,
            "own": own,
            "now": timezone.now(),
            "can_mark_all": user.is_superuser or user.has_role(Role.ACCUEIL),
            "can_book": perms.can_book(user),
        },
    )


# --- consultations by period -----------------------------------------------------------------

CONSULTATIONS_PAGE_SIZE = 50


def _consultations_scope(user: User) -> tuple[AppointmentQuerySet, StaffProfile | None]:
    """The appointments `user` may list and, for a practitioner who does not see everything,
    their own profile (the filter is forced to it), as `to_fill_in` does."""
    if perms.sees_all(user):
        return perms.appointments_for(user), None
    practitioner = selectors.practitioner_of(user)
    if practitioner is None:
        raise PermissionDenied("Votre profil n'indique pas de profession de soin.")
    return perms.appointments_for(user), practitioner


@role_required(*perms.READ_APPOINTMENTS)
def consultations(request: HttpRequest) -> HttpResponse:
    """Consultations of a period (held ones by default, as the dashboard counts them), with
    their totals. The rows shown are journaled (`appointment.list`), as on the agenda."""
    user = acting_user(request)
    scope, own = _consultations_scope(user)
    form = ConsultationFilterForm(request.GET, own_only=own is not None)
    context: dict[str, Any] = {"form": form, "own": own}
    if form.is_valid():
        chosen = form.consultation_filter(practitioner=own)
        totals = selectors.consultation_totals(scope, chosen)
        paginator = Paginator(selectors.consultations(scope, chosen), CONSULTATIONS_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        # The page's rows name patients: journaled like the agenda (the CSV export too).
        selectors.appointments_shown(by=user, appointments=page.object_list)
        context.update(
            chosen=chosen,
            totals=totals,
            page=page,
            status_rows=[
                (label, totals.by_status[value], value in chosen.statuses)
                for value, label in Status.choices
            ],
            no_show_rate=percent(totals.no_show, totals.held + totals.no_show),
            # The CSV gets the filter with its defaults written out (the period shown).
            export_query=form.query.urlencode(),
        )
    return render(request, "appointments/consultations.html", context)


@role_required(*perms.READ_APPOINTMENTS)
def consultations_csv(request: HttpRequest) -> HttpResponse:
    """The same filter as a CSV file, every page. Each export is journaled with its filter
    and the patients it names (`extra.patients`): a list of consultations is health data."""
    user = acting_user(request)
    scope, own = _consultations_scope(user)
    form = ConsultationFilterForm(request.GET, own_only=own is not None)
    if not form.is_valid():
        return render(
            request, "appointments/consultations.html", {"form": form, "own": own}, status=400
        )
    chosen = form.consultation_filter(practitioner=own)
    rows = list(selectors.consultations(scope, chosen))
    body = exports.consultations_csv(rows)
    # The object journaled is the centre whose consultations were exported (the filter says
    # which part); the account itself when no centre is set up yet.
    centre = Centre.objects.order_by("pk").first()
    audit.record_read(
        actor=user,
        action="appointment.list.export_csv",
        obj=centre or user,
        start=chosen.first_day,
        end=chosen.last_day,
        site=chosen.site,
        practitioner=chosen.practitioner,
        statuses=list(chosen.statuses),
        consultation_type=chosen.consultation_type,
        walk_in=chosen.walk_in,
        rows=len(rows),
        patients=sorted({a.patient_id for a in rows}),
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="consultations-{chosen.first_day:%Y-%m-%d}'
        f'-{chosen.last_day:%Y-%m-%d}.csv"'
    )
    return response


# --- waiting list ---------------------------------------------------------------------------


@role_required(Role.ACCUEIL)
def waiting_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = WaitingListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            waiting_services.waiting_list_add(
                patient=data["patient"],
                consultation_type=data["consultation_type"],
                practitioner=data["practitioner"],
                site=data["site"],
                before=data["before"],
                note=data["note"],
                by=user,
            )
        except Refusal as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Patient·e inscrit·e sur la liste d'attente.")
            return redirect("appointments:waiting_list")
    entries = list(
        WaitingListEntry.objects.filter(status="waiting")
        .select_related("patient", "consultation_type", "practitioner__user", "site")
        .order_by("created_at")
    )
    return render(
        request,
        "appointments/waiting_list.html",
        {"form": form, "entries": entries, "patient": _chosen_patient(form, request)},
    )


@require_POST
@role_required(Role.ACCUEIL)
def waiting_close(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(WaitingListEntry, pk=pk)
    try:
        waiting_services.waiting_list_close(
            entry=entry, by=acting_user(request), booked=request.POST.get("booked") == "1"
        )
    except Refusal as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Inscription retirée de la liste d'attente.")
    return redirect(_next_url(request, reverse("appointments:waiting_list")))


@require_POST
@role_required(Role.ACCUEIL)
def waiting_notify(request: HttpRequest, pk: int) -> HttpResponse:
    """Reception called or texted the patient about a freed slot: note it."""
    entry = get_object_or_404(WaitingListEntry, pk=pk)
    waiting_services.waiting_list_mark_notified(entry=entry, by=acting_user(request))
    messages.success(request, f"{entry.patient} noté·e comme prévenu·e.")
    return redirect(_next_url(request, reverse("appointments:waiting_list")))


@require_POST
@role_required(Role.ACCUEIL)
def waiting_offer(request: HttpRequest, pk: int, appointment_id: int) -> HttpResponse:
    """Offer a freed slot to one person of the waiting list by SMS / e-mail (if consented)."""
    entry = get_object_or_404(WaitingListEntry.objects.select_related("patient"), pk=pk)
    freed = get_object_or_404(Appointment, pk=appointment_id)
    reasons = waiting_services.waiting_list_offer(entry=entry, freed=freed, by=acting_user(request))
    sent = reasons.count("sent")
    if sent:
        messages.success(request, f"Créneau proposé à {entry.patient} ({sent} message(s)).")
    else:
        messages.warning(request, OFFER_REFUSALS.get(reasons[0] if reasons else "", "Rien envoyé."))
    return redirect("appointments:detail", pk=freed.pk)


OFFER_REFUSALS = {
    "already": "Ce créneau a déjà été proposé à cette personne : rien n'a été renvoyé.",
    "no_consent": "Cette personne n'a consenti ni aux SMS ni aux e-mails : appelez-la.",
    "started": "Le créneau est passé.",
    "taken": "Le créneau a été repris entre-temps.",
    "not_waiting": "Cette personne n'est plus en liste d'attente.",
    "not_freed": "Ce rendez-vous n'a pas été annulé : il n'y a pas de créneau à proposer.",
    "failed": "L'envoi a échoué (voir l'état du message).",
}


# --- day sheet (PDF) ------------------------------------------------------------------------


@role_required(Role.ACCUEIL, Role.DIRECTION)
def day_sheet(request: HttpRequest) -> HttpResponse:
    """Printable day sheet: one page per practitioner, black and white. The site's next
    working day by default (Friday → Monday, public holidays and closed days skipped)."""
    user = acting_user(request)
    site_id = request.GET.get("site")
    site = (
        Site.objects.filter(pk=int(site_id)).first()
        if site_id and site_id.isdigit()
        else _default_site(user)
    )
    if site is None:
        raise Http404("Aucun site.")
    day = _parse_day(
        request.GET.get("date"), selectors.next_working_day(site, timezone.localdate())
    )
    pdf = render_day_sheet(by=user, site=site, day=day).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="rendez-vous-{day.isoformat()}.pdf"'
    return response


# --- ICS feed -------------------------------------------------------------------------------


@role_required(Role.SOIGNANT)
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """The practitioner creates, renews or revokes the secret URL of their own feed."""
    user = acting_user(request)
    practitioner = selectors.practitioner_of(user)
    if practitioner is None:
        raise PermissionDenied("Votre profil n'indique pas de profession de soin.")
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar_feeds.calendar_feed_revoke(practitioner=practitioner, by=user)
            messages.success(request, "Le lien de votre agenda est désactivé.")
        else:
            calendar_feeds.calendar_feed_renew(practitioner=practitioner, by=user)
            messages.success(request, "Nouveau lien créé : l'ancien ne fonctionne plus.")
        return redirect("appointments:calendar_feed")
    feed = CalendarFeed.objects.filter(practitioner=practitioner, revoked_at__isnull=True).first()
    feed_url = (
        request.build_absolute_uri(reverse("appointments:ics", args=[feed.token])) if feed else ""
    )
    return render(request, "appointments/calendar_feed.html", {"feed": feed, "feed_url": feed_url})


def ics_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public URL guarded by its secret token (calendar apps cannot log in). Shows times,
    types and sites only: no patient name leaves the centre through it."""
    feed = calendar_feeds.calendar_feed_live(token)
    if feed is None:
        raise Http404("Flux inconnu ou désactivé.")
    body = ics.practitioner_calendar(feed.practitioner)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")

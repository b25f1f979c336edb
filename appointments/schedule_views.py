"""Staff screens for opening schedules (weekly and one-off plages) and absences: reception and
direction manage them here, through audited services (the Django admin does not audit)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from appointments.forms import AbsenceForm, EndScheduleForm, ExtraScheduleForm, WeeklyScheduleForm
from appointments.models import Absence, ExtraSchedule, WeeklySchedule
from appointments.selectors import practitioners_qs
from appointments.services import booking
from appointments.services import schedules as schedule_services
from centre.forms import add_refusal, refusal_message
from centre.perms import acting_user, role_required
from centre.roles import Role

MANAGE = (Role.ACCUEIL, Role.DIRECTION)


def _back(practitioner_id: int) -> str:
    return reverse("appointments:schedules") + f"?soignant={practitioner_id}"


def _moved_note(count: int, what: str) -> str:
    if not count:
        return ""
    return f" Attention : {count} rendez-vous prévu(s) {what} : à déplacer."


@role_required(*MANAGE)
def schedules(request: HttpRequest) -> HttpResponse:
    """Plages and absences, current and to come, for one practitioner or all."""
    today = timezone.localdate()
    practitioners = list(practitioners_qs())
    wanted = request.GET.get("soignant", "")
    chosen = next((p for p in practitioners if str(p.pk) == wanted), None)
    weekly = WeeklySchedule.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    ).select_related("practitioner__user", "site")
    extras = ExtraSchedule.objects.filter(date__gte=today).select_related(
        "practitioner__user", "site"
    )
    absences = Absence.objects.filter(end__gte=timezone.now()).select_related("practitioner__user")
    if chosen is not None:
        weekly = weekly.filter(practitioner=chosen)
        extras = extras.filter(practitioner=chosen)
        absences = absences.filter(practitioner=chosen)
    return render(
        request,
        "appointments/schedules.html",
        {
            "practitioners": practitioners,
            "chosen": chosen,
            "weekly": list(
                weekly.order_by("practitioner__user__last_name", "weekday", "start_time")[:300]
            ),
            "extras": list(extras.order_by("date", "start_time")[:200]),
            "absences": list(absences.order_by("start")[:200]),
            "end_form": EndScheduleForm(initial={"last_day": today}),
        },
    )


def _form_page(
    request: HttpRequest, form: Any, *, title: str, intro: str = "", practitioner_id: int | None
) -> HttpResponse:
    return render(
        request,
        "appointments/schedule_form.html",
        {
            "form": form,
            "title": title,
            "intro": intro,
            "back": _back(practitioner_id)
            if practitioner_id
            else reverse("appointments:schedules"),
        },
    )


@role_required(*MANAGE)
def weekly_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"valid_from": timezone.localdate()}
    if (wanted := request.GET.get("soignant", "")).isdigit():
        initial["practitioner"] = int(wanted)
    form = WeeklyScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = schedule_services.weekly_schedule_create(
                **form.cleaned_data, by=acting_user(request)
            )
        except booking.BookingError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Plage hebdomadaire enregistrée : {schedule}.")
            return redirect(_back(schedule.practitioner_id))
    return _form_page(request, form, title="Nouvelle plage hebdomadaire", practitioner_id=None)


@role_required(*MANAGE)
def weekly_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(WeeklySchedule.objects.select_related("practitioner__user"), pk=pk)
    form = WeeklyScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "practitioner"}
        try:
            schedule_services.weekly_schedule_update(
                schedule=schedule, by=acting_user(request), **fields
            )
        except booking.BookingError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Plage hebdomadaire modifiée.")
            return redirect(_back(schedule.practitioner_id))
    return _form_page(
        request,
        form,
        title=f"Modifier la plage : {schedule}",
        intro="Pour un changement à partir d'une date, terminez plutôt cette plage et créez-en "
        "une nouvelle : l'historique reste juste.",
        practitioner_id=schedule.practitioner_id,
    )


@require_POST
@role_required(*MANAGE)
def weekly_end(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(WeeklySchedule, pk=pk)
    form = EndScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez le dernier jour de la plage.")
        return redirect(_back(schedule.practitioner_id))
    try:
        ended, left = schedule_services.weekly_schedule_end(
            schedule=schedule, last_day=form.cleaned_data["last_day"], by=acting_user(request)
        )
    except booking.BookingError as error:
        refusal_message(request, error)
    else:
        messages.success(
            request,
            f"Plage terminée le {ended.valid_until:%d/%m/%Y}."
            + _moved_note(left, "après cette date sur cette plage"),
        )
    return redirect(_back(schedule.practitioner_id))


@role_required(*MANAGE)
def extra_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"date": timezone.localdate() + datetime.timedelta(days=1)}
    if (wanted := request.GET.get("soignant", "")).isdigit():
        initial["practitioner"] = int(wanted)
    form = ExtraScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            extra = schedule_services.extra_schedule_create(
                **form.cleaned_data, by=acting_user(request)
            )
        except booking.BookingError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Plage ponctuelle enregistrée : {extra}.")
            return redirect(_back(extra.practitioner_id))
    return _form_page(request, form, title="Nouvelle plage ponctuelle", practitioner_id=None)


@role_required(*MANAGE)
def extra_edit(request: HttpRequest, pk: int) -> HttpResponse:
    extra = get_object_or_404(ExtraSchedule.objects.select_related("practitioner__user"), pk=pk)
    form = ExtraScheduleForm(request.POST or None, instance=extra)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "practitioner"}
        try:
            schedule_services.extra_schedule_update(extra=extra, by=acting_user(request), **fields)
        except booking.BookingError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "Plage ponctuelle modifiée.")
            return redirect(_back(extra.practitioner_id))
    return _form_page(
        request, form, title=f"Modifier la plage : {extra}", practitioner_id=extra.practitioner_id
    )


@require_POST
@role_required(*MANAGE)
def extra_delete(request: HttpRequest, pk: int) -> HttpResponse:
    extra = get_object_or_404(ExtraSchedule, pk=pk)
    practitioner_id = extra.practitioner_id
    left = schedule_services.extra_schedule_delete(extra=extra, by=acting_user(request))
    messages.success(request, "Plage ponctuelle supprimée." + _moved_note(left, "sur cette plage"))
    return redirect(_back(practitioner_id))


@role_required(*MANAGE)
def absence_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if (wanted := request.GET.get("soignant", "")).isdigit():
        initial["practitioner"] = int(wanted)
    form = AbsenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        start, end = form.period()
        try:
            absence = schedule_services.absence_add(
                practitioner=form.cleaned_data["practitioner"],
                start=start,
                end=end,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                by=acting_user(request),
            )
        except booking.BookingError as error:
            form.add_error("end_date", error.message)
        else:
            left = schedule_services.booked_during_absence(absence)
            messages.success(
                request, "Absence enregistrée." + _moved_note(left, "pendant l'absence")
            )
            return redirect(_back(absence.practitioner_id))
    return _form_page(request, form, title="Nouvelle absence", practitioner_id=None)


@role_required(*MANAGE)
def absence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence.objects.select_related("practitioner__user"), pk=pk)
    form = AbsenceForm(request.POST or None, instance=absence)
    if request.method == "POST" and form.is_valid():
        start, end = form.period()
        try:
            schedule_services.absence_update(
                absence=absence,
                start=start,
                end=end,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                by=acting_user(request),
            )
        except booking.BookingError as error:
            form.add_error("end_date", error.message)
        else:
            left = schedule_services.booked_during_absence(absence)
            messages.success(request, "Absence modifiée." + _moved_note(left, "pendant l'absence"))
            return redirect(_back(absence.practitioner_id))
    return _form_page(
        request,
        form,
        title=f"Modifier l'absence de {absence.practitioner}",
        practitioner_id=absence.practitioner_id,
    )


@require_POST
@role_required(*MANAGE)
def absence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence, pk=pk)
    practitioner_id = absence.practitioner_id
    schedule_services.absence_delete(absence=absence, by=acting_user(request))
    messages.success(request, "Absence supprimée : les créneaux sont de nouveau libres.")
    return redirect(_back(practitioner_id))

"""Demo data: consultation types, weekly schedules of the demo practitioners and about 150
appointments a week over the past year and the next month (≈10 % no-shows, some
cancellations). Idempotent: types and schedules are get-or-create, appointments are only
generated when there are none."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from appointments.models import (
    Appointment,
    ConsultationType,
    Status,
    WaitingListEntry,
    WeeklySchedule,
)
from appointments.slots import (
    ExtraPlage,
    WeeklyPlage,
    expand_plages,
    public_holidays_between,
    tile,
)
from centre.models import Profession, StaffProfile, User
from centre.roles import Role
from patients.models import Patient

TYPES = (
    # label, profession, minutes, colour, bookable by mediators, interpreter slot
    ("Consultation de médecine générale", Profession.GENERALISTE, 20, "blue", True, False),
    (
        "Consultation longue (première fois, interprète)",
        Profession.GENERALISTE,
        40,
        "purple",
        True,
        True,
    ),
    ("Consultation de gynécologie", Profession.GYNECOLOGUE, 30, "pink", True, False),
    ("Suivi de contraception", Profession.GYNECOLOGUE, 20, "pink", False, False),
    ("Soins infirmiers", Profession.INFIRMIER, 15, "green", False, False),
    ("Bilan orthophonique", Profession.ORTHOPHONISTE, 60, "orange", True, False),
    ("Séance d'orthophonie", Profession.ORTHOPHONISTE, 30, "orange", False, False),
)

# Motifs meant for women only: an orientation or a booking for a man is warned about.
WOMEN_ONLY = ("Consultation de gynécologie", "Suivi de contraception")

MORNING = (datetime.time(9, 0), datetime.time(12, 30))
AFTERNOON = (datetime.time(14, 0), datetime.time(18, 0))
NURSE = (datetime.time(8, 30), datetime.time(12, 0))
WEEKS_BACK = 52
WEEKS_AHEAD = 4
PER_WEEK = 150


def _schedule_plan(
    profession: str, index: int
) -> list[tuple[int, tuple[datetime.time, datetime.time], int]]:
    """(weekday, (start, end), site index) for a practitioner of `profession`."""
    if profession == Profession.GENERALISTE:
        plan = [(d, MORNING, 0) for d in range(5)]
        # The second GP runs the antenna on Tuesday and Thursday afternoons.
        plan += [(d, AFTERNOON, 1 if index % 2 and d in (1, 3) else 0) for d in range(5) if d != 2]
        return plan
    if profession == Profession.GYNECOLOGUE:
        return [(0, MORNING, 0), (2, MORNING, 0), (4, MORNING, 0), (1, AFTERNOON, 1)]
    if profession == Profession.INFIRMIER:
        return [(d, NURSE, 0) for d in range(5)]
    if profession == Profession.ORTHOPHONISTE:
        return [(1, MORNING, 0), (1, AFTERNOON, 0), (3, MORNING, 0)]
    return [(0, MORNING, 0)]


def seed(org: Any, rng: random.Random) -> str:
    types: dict[str, list[ConsultationType]] = {}
    for label, profession, minutes, colour, mediators, interpreter in TYPES:
        ctype, _ = ConsultationType.objects.get_or_create(
            label=label,
            defaults={
                "profession": profession,
                "duration_minutes": minutes,
                "colour": colour,
                "bookable_by_mediators": mediators,
                "needs_interpreter_slot": interpreter,
                "audience_sex": "F" if label in WOMEN_ONLY else "",
            },
        )
        types.setdefault(profession, []).append(ctype)

    today = timezone.localdate()
    first_day = today - datetime.timedelta(weeks=WEEKS_BACK)
    last_day = today + datetime.timedelta(weeks=WEEKS_AHEAD)
    practitioners = list(
        StaffProfile.objects.filter(centre=org.centre)
        .exclude(profession="")
        .select_related("user")
        .order_by("rpps")
    )
    counters: dict[str, int] = {}
    for profile in practitioners:
        index = counters.get(profile.profession, 0)
        counters[profile.profession] = index + 1
        if WeeklySchedule.objects.filter(practitioner=profile).exists():
            continue
        WeeklySchedule.objects.bulk_create(
            WeeklySchedule(
                practitioner=profile,
                site=org.sites[site_index],
                weekday=weekday,
                start_time=hours[0],
                end_time=hours[1],
                valid_from=first_day,
            )
            for weekday, hours, site_index in _schedule_plan(profile.profession, index)
        )

    if Appointment.objects.exists():
        return f"{len(TYPES)} motifs ; rendez-vous déjà présents ({Appointment.objects.count()})."
    patients = list(
        Patient.objects.active().values_list("pk", "sex", "interpreter_needed", "language")
    )
    if not patients:
        return f"{len(TYPES)} motifs, plages créées ; aucun·e patient·e : pas de rendez-vous."
    women = [p for p in patients if p[1] == "F"] or patients
    booker: User = next(u for u in org.users.values() if u.has_role(Role.ACCUEIL))

    weekly = [
        WeeklyPlage(w.practitioner_id, w.site_id, w.weekday, w.start_time, w.end_time, w.valid_from)
        for w in WeeklySchedule.objects.filter(practitioner__in=practitioners)
    ]
    openings = expand_plages(
        weekly=weekly,
        extra=list[ExtraPlage](),
        first_day=first_day,
        last_day=last_day,
        closed_days=public_holidays_between(first_day, last_day),
    )
    profession_of: dict[int, str] = {p.pk: p.profession for p in practitioners}
    # Fill each opening with consecutive consultations; keep a share of them so that the
    # centre sees about PER_WEEK appointments a week.
    candidates: list[tuple[int, int, ConsultationType, datetime.datetime, datetime.datetime]] = []
    for opening in openings:
        kinds = types.get(profession_of[opening.practitioner_id])
        if not kinds:
            continue
        cursor = opening.interval
        while True:
            ctype = kinds[0] if rng.random() < 0.75 else rng.choice(kinds)
            pieces = tile(
                type(cursor)(cursor.start, min(cursor.end, cursor.start + ctype.duration)),
                ctype.duration,
            )
            if not pieces:
                break
            slot = pieces[0]
            candidates.append(
                (opening.practitioner_id, opening.site_id, ctype, slot.start, slot.end)
            )
            cursor = type(cursor)(slot.end, cursor.end)
    weeks = WEEKS_BACK + WEEKS_AHEAD
    keep = min(1.0, PER_WEEK * weeks / max(1, len(candidates)))
    now = timezone.now()
    taken: set[tuple[int, datetime.date]] = set()
    rows: list[Appointment] = []
    for practitioner_id, site_id, ctype, start, end in candidates:
        if rng.random() > keep:
            continue
        pool = women if profession_of[practitioner_id] == Profession.GYNECOLOGUE else patients
        for _ in range(5):
            pid, _sex, interpreter, language = rng.choice(pool)
            if (pid, start.date()) not in taken:
                break
        else:
            continue
        taken.add((pid, start.date()))
        status = _status(rng, start=start, now=now)
        rows.append(
            Appointment(
                patient_id=pid,
                practitioner_id=practitioner_id,
                consultation_type=ctype,
                site_id=site_id,
                start=start,
                end=end,
                status=status,
                interpreter_language=language if interpreter and language != "fr" else "",
                is_walk_in=status == Status.SEEN and rng.random() < 0.04,
                booked_by=booker,
                created_at=min(now, start - datetime.timedelta(days=rng.randint(1, 30))),
                status_changed_at=start if status != Status.BOOKED else None,
                cancel_reason="Empêchement signalé par téléphone"
                if status == Status.EXCUSED
                else "",
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=2000)

    waiting = 0
    gp_types = types.get(Profession.GENERALISTE, [])
    if gp_types and not WaitingListEntry.objects.exists():
        for pid, *_ in rng.sample(patients, min(4, len(patients))):
            WaitingListEntry.objects.create(
                patient_id=pid,
                consultation_type=gp_types[0],
                created_by=booker,
                note="Préfère le matin",
            )
            waiting += 1
    no_shows = sum(1 for r in rows if r.status == Status.NO_SHOW)
    return (
        f"{len(TYPES)} motifs, plages de {len(practitioners)} soignant·e·s, "
        f"{len(rows)} rendez-vous ({no_shows} absences non excusées), "
        f"{waiting} personnes en liste d'attente."
    )


def _status(rng: random.Random, *, start: datetime.datetime, now: datetime.datetime) -> str:
    roll = rng.random()
    if start > now:
        if roll < 0.04:
            return Status.EXCUSED
        if roll < 0.05:
            return Status.CANCELLED
        return Status.BOOKED
    if roll < 0.10:
        return Status.NO_SHOW
    if roll < 0.16:
        return Status.EXCUSED
    if roll < 0.18:
        return Status.CANCELLED
    # A few recent appointments keep no final status: the « to fill in » queue is not empty.
    if start > now - datetime.timedelta(days=3) and roll > 0.8:
        return Status.BOOKED
    return Status.SEEN

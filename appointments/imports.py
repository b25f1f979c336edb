"""Future appointments brought from another tool (`patients.services.imports`, the director's
import): one line of the file booked through `services.booking.appointment_book`, so every
booking rule applies (slot taken, plages, absences, holidays, motif of the profession).
Registered in `AppConfig.ready()` as the patients app's appointment importer (patients does
not import this app)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db.models import Q
from django.utils import timezone

from appointments.models import ConsultationType
from appointments.services import booking
from centre.models import Site, StaffProfile, User
from patients.models import Patient
from patients.services.imports import parse_date, parse_language, parse_time, plain_text

TITLES = {"dr", "docteur", "docteure", "pr", "mme", "m", "mr", "madame", "monsieur"}


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in plain_text(text).split() if w not in TITLES)


def find_practitioner(text: str) -> tuple[StaffProfile | None, str]:
    """The practitioner named `text` (« Dr Claire Moreau », « MOREAU Claire », « Moreau » when
    only one has that name, or the RPPS number), or a French problem."""
    wanted = _words(text)
    if not wanted:
        return None, "Praticien·ne : manquant·e."
    profiles = list(
        StaffProfile.objects.exclude(profession="")
        .filter(user__is_active=True)
        .select_related("user")
    )
    digits = "".join(c for c in text if c.isdigit())
    by_rpps = [p for p in profiles if digits and p.rpps == digits]
    if by_rpps:
        return by_rpps[0], ""
    full = [p for p in profiles if _words(p.user.get_full_name()) == wanted]
    if len(full) == 1:
        return full[0], ""
    last = [p for p in profiles if _words(p.user.last_name) == wanted]
    if len(last) == 1:
        return last[0], ""
    if len(full) > 1 or len(last) > 1:
        return None, f"Praticien·ne : plusieurs personnes s'appellent « {text} » (RPPS ?)."
    return None, f"Praticien·ne : « {text} » n'est pas un·e soignant·e du centre."


def import_appointment(
    *, by: User, patient: Patient, cells: Mapping[str, str], force_reason: str
) -> list[str]:
    problems: list[str] = []
    day = parse_date(cells.get("date", ""), "Date du rendez-vous", problems)
    if day is None and not problems:
        problems.append("Date du rendez-vous : manquante.")
    at = parse_time(cells.get("time", ""), "Heure", problems)
    practitioner, problem = find_practitioner(cells.get("practitioner", ""))
    if problem:
        problems.append(problem)
    motif = cells.get("consultation_type", "")
    consultation_type = ConsultationType.objects.filter(label__iexact=motif).first()
    if consultation_type is None:
        problems.append(f"Motif : « {motif} » n'est pas un motif de Passerelle.")
    site_name = cells.get("site", "")
    site = Site.objects.filter(Q(name__iexact=site_name)).first()
    if site is None:
        problems.append(f"Site : « {site_name} » n'est pas un site du centre.")
    end: datetime.datetime | None = None
    duration = cells.get("duration", "").strip()
    if duration and not (duration.isdigit() and 0 < int(duration) <= 480):
        problems.append(f"Durée : « {duration} » n'est pas un nombre de minutes (1 à 480).")
        duration = ""
    interpreter = ""
    if cells.get("interpreter_language", "").strip().lower() not in ("", "non", "aucun"):
        interpreter = parse_language(cells["interpreter_language"], problems)
    if problems or day is None or at is None:
        return problems
    assert practitioner is not None and consultation_type is not None and site is not None
    start = timezone.make_aware(datetime.datetime.combine(day, at))
    if start <= timezone.now():
        return [
            f"Rendez-vous passé ({day:%d/%m/%Y} {at:%H:%M}) : seuls les rendez-vous à venir "
            "sont repris."
        ]
    if duration:
        end = start + datetime.timedelta(minutes=int(duration))
    booking.appointment_book(
        patient=patient,
        practitioner=practitioner,
        consultation_type=consultation_type,
        site=site,
        start=start,
        end=end,
        by=by,
        interpreter_language=interpreter,
        note=cells.get("note", "")[:200],
        force_reason=force_reason,
    )
    return []

"""Extension points through which other apps show their data on a patient's record, without
`patients` importing them (apps depend on patients, never the reverse).

An app registers its providers in its `AppConfig.ready()`:

    from patients import hooks
    hooks.register_timeline(my_timeline_provider)
    hooks.register_next_appointment(my_next_appointment_provider)

Each provider must run a fixed number of queries (one, ideally) whatever the history length:
the patient page's query count is pinned by a test.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from centre.models import User
    from patients.models import Patient


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime.datetime  # aware datetime (a date-only event uses midnight Europe/Paris)
    kind: str  # "appointment", "invoice", "outreach_session", ...
    label: str  # French, e.g. "Consultation de médecine générale — Dr Moreau"
    status: str = ""  # French status label
    url: str = ""  # link for staff allowed to follow it ("" when none)
    roles: frozenset[str] = frozenset()  # roles allowed to see it; empty = every role


TimelineProvider = Callable[["Patient"], Iterable[TimelineEvent]]
# Next upcoming appointment start for each of the given patient ids (absent = none).
NextAppointmentProvider = Callable[[Iterable[int]], dict[int, datetime.datetime]]

_timeline: list[TimelineProvider] = []
_next_appointment: list[NextAppointmentProvider] = []


def register_timeline(provider: TimelineProvider) -> None:
    if provider not in _timeline:
        _timeline.append(provider)


def register_next_appointment(provider: NextAppointmentProvider) -> None:
    if provider not in _next_appointment:
        _next_appointment.append(provider)


def timeline_for(patient: Patient, *, roles: Iterable[str]) -> list[TimelineEvent]:
    """Events from every app, newest first, filtered to what `roles` may see."""
    held = frozenset(roles)
    events = [
        event
        for provider in _timeline
        for event in provider(patient)
        if not event.roles or event.roles & held
    ]
    return sorted(events, key=lambda e: e.at, reverse=True)


def next_appointments(patient_ids: Iterable[int]) -> dict[int, datetime.datetime]:
    ids = list(patient_ids)
    found: dict[int, datetime.datetime] = {}
    for provider in _next_appointment:
        for pid, start in provider(ids).items():
            if pid not in found or start < found[pid]:
                found[pid] = start
    return found


# --- Rights of the person (GDPR): each app erases and exports what it holds -----------------
#
# An app declares them in a module `<app>/gdpr.py` (imported by `PatientsConfig.ready`, as the
# admin imports `admin.py`), calling `register_erasure` and `register_export` at import.


@dataclass
class Erasure:
    """What one app erased for a person: counts of rows pseudonymised per kind, and the other
    persons the journal knows them as (an outreach person linked to the record), whose
    journal keys must be destroyed too."""

    counts: dict[str, int]
    subjects: list[tuple[str, str]] = field(default_factory=list)


# Erase, inside the anonymisation transaction, what the app holds about the patient.
ErasureProvider = Callable[["Patient"], Erasure]
# Sections of the subject access export: {"section": [rows as JSON-ready dicts]}.
ExportProvider = Callable[["Patient"], dict[str, list[dict[str, Any]]]]

# The journal's names of the person's records in the app: {"appointments.appointment": [ids]},
# so that « who read this record » finds the lists and exports that showed them.
RecordsProvider = Callable[["Patient"], dict[str, list[str]]]

_erasure: list[ErasureProvider] = []
_export: list[ExportProvider] = []
_records: list[RecordsProvider] = []


def register_records(provider: RecordsProvider) -> None:
    if provider not in _records:
        _records.append(provider)


def records_everywhere(patient: Patient) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"patients.patient": [str(patient.pk)]}
    for provider in _records:
        for label, ids in provider(patient).items():
            found.setdefault(label, []).extend(ids)
    return found


def register_erasure(provider: ErasureProvider) -> None:
    if provider not in _erasure:
        _erasure.append(provider)


def register_export(provider: ExportProvider) -> None:
    if provider not in _export:
        _export.append(provider)


def erase_everywhere(patient: Patient) -> Erasure:
    total = Erasure(counts={})
    for provider in _erasure:
        done = provider(patient)
        total.counts.update(done.counts)
        total.subjects.extend(done.subjects)
    return total


def export_everywhere(patient: Patient) -> dict[str, list[dict[str, Any]]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for provider in _export:
        sections.update(provider(patient))
    return sections


class AppointmentImporter(Protocol):
    """Books one appointment line of an import (`patients.services.imports`) for `patient`:
    returns the line's problems in French (nothing booked), or [] once booked; may raise a
    `Refusal` instead (its message is reported). Runs inside the import's transaction."""

    def __call__(
        self, *, by: User, patient: Patient, cells: Mapping[str, str], force_reason: str
    ) -> list[str]: ...


_appointment_importer: list[AppointmentImporter] = []


def register_appointment_importer(importer: AppointmentImporter) -> None:
    _appointment_importer[:] = [importer]


def appointment_importer() -> AppointmentImporter | None:
    return _appointment_importer[0] if _appointment_importer else None

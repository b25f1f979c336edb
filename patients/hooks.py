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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

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

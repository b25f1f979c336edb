"""Reads of outreach data for pages, the API and other apps. Each list runs a fixed number
of queries whatever the history length (pinned by tests and benchmarks).

What shows a person met (sessions, files, referrals, the person's page, the patients of the
rights worklist) is read through a selector taking `by`, which checks the role and journals
what it returns: `audit.record_read` for one record, `audit.record_list_read` with the ids
shown for a list (the page's rows for a paginated list). The page and the API call the same
selector, so both doors leave the same entry (same action, object type and ids); the
actions are listed in docs/outreach.md (« Lectures journalisées »).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, Model, Prefetch, QuerySet
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import NotFound
from outreach import perms
from outreach.models import (
    CollectiveAction,
    Permanence,
    Person,
    Referral,
    ReferralTarget,
    RightsFile,
    RightsSession,
)
from patients import perms as patient_perms
from patients.models import Patient
from patients.selectors import rights_worklist, search_patients

# The journal actions of reads (same strings for the pages and the API).
SESSION_READ = "outreach.session.read"
SESSION_LIST = "outreach.session.list"
PERSON_READ = "outreach.person.read"
FILE_LIST = "outreach.file.list"
REFERRAL_LIST = "outreach.referral.list"
WORKLIST_LIST = "outreach.rights_worklist.list"
PATIENT_SEARCH_LIST = "outreach.patient_search.list"
REFERRAL_READ = "outreach.referral.read"
ATTENDANCE_LIST = "outreach.collective_action.attendance"

SESSION_NOT_FOUND = "Entretien introuvable."
PERSON_NOT_FOUND = "Personne introuvable."
REFERRAL_NOT_FOUND = "Orientation introuvable."


M = TypeVar("M", bound=Model)


def shown(*, by: User, action: str, model: type[M], rows: Sequence[M] | QuerySet[M]) -> list[M]:
    """Journal which records a list showed (`rows`, in the order shown, already cut to the
    page) and return them as a list. An empty list is journaled too (`ids: []`): the page
    costs the same queries whatever it shows (pinned by tests and the benchmark), and the
    journal says the list was looked at."""
    rows = list(rows)
    audit.record_list_read(actor=by, action=action, model=model, ids=[r.pk for r in rows])
    return rows


def sessions_shown(*, by: User, rows: Sequence[RightsSession]) -> list[RightsSession]:
    """A list of sessions as shown (the API list's page, a permanence's people received,
    the follow-ups due): journaled as `outreach.session.list`."""
    return shown(by=by, action=SESSION_LIST, model=RightsSession, rows=rows)


def files_shown(*, by: User, rows: Sequence[RightsFile]) -> list[RightsFile]:
    return shown(by=by, action=FILE_LIST, model=RightsFile, rows=rows)


def referrals_shown(*, by: User, rows: Sequence[Referral]) -> list[Referral]:
    return shown(by=by, action=REFERRAL_LIST, model=Referral, rows=rows)


def sessions_for(*, by: User) -> QuerySet[RightsSession]:
    """The sessions `by` may list (mediation, direction), newest first, for the API list to
    filter and paginate; the page shown is journaled by `sessions_shown`."""
    perms.require(by, perms.READ)
    return RightsSession.objects.select_related("person").order_by("-held_on", "-pk")


def session_detail(*, by: User, pk: int) -> RightsSession:
    """One session, for its page and `GET /api/v1/outreach/sessions/<pk>/`: journaled as
    `outreach.session.read`."""
    perms.require(by, perms.READ)
    session = (
        RightsSession.objects.select_related(
            "person__patient", "mediator", "place", "permanence", "file"
        )
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    audit.record_read(actor=by, action=SESSION_READ, obj=session)
    return session


def person_detail(*, by: User, pk: int) -> Person:
    """A person met with their sessions, files and referrals (`person_page`), journaled as
    `outreach.person.read` — anonymous or linked to a patient record: the page shows what
    was said and done for them either way."""
    perms.require(by, perms.READ)
    try:
        person = person_page(pk)
    except Person.DoesNotExist as error:
        raise NotFound(PERSON_NOT_FOUND) from error
    audit.record_read(actor=by, action=PERSON_READ, obj=person)
    return person


def referrals_for(*, by: User) -> QuerySet[Referral]:
    """The referrals `by` may list: all of them for mediation and the direction, only those
    to the centre for reception (its queue; partners' referrals carry the social side of a
    person's situation). Newest first; the page shown is journaled by `referrals_shown`."""
    perms.require(by, perms.QUEUE_READ)
    qs = Referral.objects.select_related("person").order_by("-created_at")
    if not (by.is_superuser or by.has_role(*perms.READ)):
        qs = qs.filter(target=ReferralTarget.CENTRE)
    return qs


def referral_queue_for(*, by: User) -> list[Referral]:
    """Reception's queue (`referral_queue`), journaled as `outreach.referral.list`."""
    perms.require(by, perms.QUEUE_READ)
    return referrals_shown(by=by, rows=list(referral_queue()))


def worklist_excerpt(*, by: User, today: datetime.date, limit: int = 15) -> list[Patient]:
    """The first patients of the rights worklist (`patients.selectors.rights_worklist`) on
    the mediator's home panel, journaled as `outreach.rights_worklist.list`: names and end
    dates of rights are identity and coverage data."""
    perms.require(by, perms.WRITE)
    return shown(
        by=by,
        action=WORKLIST_LIST,
        model=Patient,
        rows=list(rights_worklist(today=today)[:limit]),
    )


def permanences_between(start: datetime.date, end: datetime.date) -> QuerySet[Permanence]:
    """Permanences whose Paris day is in [start, end], with place, mediator and the number of
    sessions logged (one query)."""
    return (
        Permanence.objects.filter(start__date__gte=start, start__date__lte=end)
        .select_related("place", "mediator")
        .annotate(session_count=Count("sessions"))
        .order_by("start", "place__name")
    )


def permanence_sessions(permanence: Permanence) -> QuerySet[RightsSession]:
    return (
        RightsSession.objects.filter(permanence=permanence)
        .select_related("person__patient", "mediator")
        .order_by("-started_at", "-pk")
    )


def sessions_list() -> QuerySet[RightsSession]:
    return RightsSession.objects.select_related(
        "person__patient", "mediator", "place", "permanence"
    ).order_by("-held_on", "-started_at", "-pk")


def followups_due(
    *, on: datetime.date, mediator: User | None = None, horizon_days: int = 7
) -> QuerySet[RightsSession]:
    """Follow-ups due up to `horizon_days` after `on` (overdue ones included), not done."""
    qs = RightsSession.objects.followups_due(on=on + datetime.timedelta(days=horizon_days))
    if mediator is not None:
        qs = qs.filter(mediator=mediator)
    return qs.select_related("person__patient", "place").order_by("followup_on", "pk")


def open_files(*, mediator: User | None = None) -> QuerySet[RightsFile]:
    qs = RightsFile.objects.open()
    if mediator is not None:
        qs = qs.filter(mediator=mediator)
    return qs.select_related("person__patient").order_by("opened_on", "pk")


def person_page(person_id: int) -> Person:
    sessions = RightsSession.objects.select_related("mediator", "place", "file").order_by(
        "-held_on", "-pk"
    )
    return (
        Person.objects.select_related("patient")
        .prefetch_related(
            Prefetch("sessions", queryset=sessions),
            Prefetch("files", queryset=RightsFile.objects.order_by("-opened_on", "-pk")),
            Prefetch(
                "referrals",
                queryset=Referral.objects.select_related("consultation_type").order_by(
                    "-created_at"
                ),
            ),
        )
        .get(pk=person_id)
    )


def referral_queue() -> QuerySet[Referral]:
    """Referrals to the centre waiting for a booking, the nearest deadline first (the late
    ones lead). Only what reception needs: no session, no notes."""
    return (
        Referral.objects.pending_to_centre()
        .select_related("person__patient", "consultation_type", "site", "created_by")
        .order_by("due_at", "created_at")
    )


def referrals_list() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "person__patient", "consultation_type", "site", "created_by", "appointment"
    ).order_by("-created_at")


def people_met_at(permanences: Iterable[Permanence]) -> QuerySet[Person]:
    return Person.objects.filter(sessions__permanence__in=list(permanences)).distinct()


def today() -> datetime.date:
    return timezone.localdate()


def patients_found(*, by: User, query: str, limit: int = 8) -> list[Patient]:
    """The patients matching `query` offered on the session form and on reception's booking
    of a referral (`patients.selectors.search_patients`), journaled as
    `outreach.patient_search.list` with the ids shown (not the text typed: it may be a NIR).
    Under two characters nothing is searched nor journaled."""
    perms.require(by, (*perms.WRITE, *perms.QUEUE_WRITE))
    if len(query) < 2:
        return []
    return shown(
        by=by,
        action=PATIENT_SEARCH_LIST,
        model=Patient,
        # A NIR typed here finds nobody for a role that may not see NIRs (mediation).
        rows=search_patients(query, limit=limit, match_nir=patient_perms.can_see_nir(by)),
    )


def person_for_session_form(*, by: User, pk: int) -> Person:
    """The person met a new session is entered for (`?personne=`): the form shows who they
    are and their open files. Journaled as `outreach.person.read` (`shown_on: session_form`),
    like their page."""
    perms.require(by, perms.WRITE)
    person = Person.objects.select_related("patient").filter(pk=pk).first()
    if person is None:
        raise NotFound(PERSON_NOT_FOUND)
    audit.record_read(actor=by, action=PERSON_READ, obj=person, shown_on="session_form")
    return person


def referral_for_booking(*, by: User, pk: int) -> Referral:
    """A referral to the centre as reception books it (who was referred, why, how urgent):
    journaled as `outreach.referral.read`. Only referrals to the centre: others are not
    found from this door."""
    perms.require(by, perms.QUEUE_WRITE)
    referral = (
        Referral.objects.select_related("person__patient", "consultation_type", "site")
        .filter(pk=pk, target=ReferralTarget.CENTRE)
        .first()
    )
    if referral is None:
        raise NotFound(REFERRAL_NOT_FOUND)
    audit.record_read(actor=by, action=REFERRAL_READ, obj=referral)
    return referral


@dataclass(frozen=True)
class Attendance:
    action: CollectiveAction
    patients: list[Patient]
    persons: list[Person]

    @property
    def named(self) -> int:
        return len(self.patients) + len(self.persons)

    @property
    def unnamed(self) -> int:
        return max(self.action.participants_count - self.named, 0)


def collective_action_attendance(*, by: User, pk: int) -> Attendance:
    """Who is named as present at a collective action (its page and its sign-in sheet),
    journaled as `outreach.collective_action.attendance`: the patients shown, by id (so that
    « who read this record » finds it), and the action."""
    perms.require(by, perms.READ)
    action = CollectiveAction.objects.select_related("place", "organiser").filter(pk=pk).first()
    if action is None:
        raise NotFound("Action collective introuvable.")
    patients = list(action.attendees.order_by("last_name", "first_name", "pk"))
    persons = list(action.attendee_persons.order_by("alias", "pk"))
    audit.record_list_read(
        actor=by,
        action=ATTENDANCE_LIST,
        model=Patient,
        ids=[p.pk for p in patients],
        collective_action=action.pk,
        persons=[p.pk for p in persons],
    )
    return Attendance(action=action, patients=patients, persons=persons)


def persons_met_recently(*, by: User, days: int = 120, limit: int = 200) -> list[Person]:
    """People met anonymously by the mediation lately (no patient record), by alias, for the
    attendance form's list."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return list(
        Person.objects.filter(patient__isnull=True, sessions__held_on__gte=since)
        .exclude(alias="")
        .distinct()
        .order_by("alias", "pk")[:limit]
    )

"""Demo outreach data for Poitiers: six partner places, weekly or fortnightly permanences over
about 18 months, 1–3 people met per permanence with a realistic mix of topics and outcomes,
rights files with their decisions, referrals (some booked into the centre's agenda) and
collective actions (Cafés Santé, visual screenings, vaccination days…).

Idempotent: once the permanences exist, a second run adds nothing. Historic rows are inserted
in bulk (they describe the past; there is no acting user to audit); the few bookings go through
`appointments.services.booking.appointment_book` so the agenda's guarantees hold.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from appointments.models import ConsultationType
from appointments.services import booking
from centre.demo import DEMO_DOMAIN, OrganisationSeed
from centre.models import Profession, StaffProfile
from outreach.models import (
    Action,
    CollectiveAction,
    CollectiveKind,
    Decision,
    FiledHow,
    FileStatus,
    Interpreting,
    Outcome,
    Permanence,
    Person,
    Place,
    PlaceKind,
    Referral,
    ReferralStatus,
    ReferralTarget,
    RightKind,
    RightsFile,
    RightsSession,
    TriState,
    Urgency,
)
from outreach.participation import demo as participation_demo
from patients.models import Patient

MONTHS = 18


@dataclass(frozen=True)
class DemoPlace:
    name: str
    kind: str
    address: str
    neighbourhood: str
    in_qpv: bool
    weekday: int  # 0 = Monday
    start: datetime.time
    end: datetime.time
    every_weeks: int
    antenna: bool
    contact: str


PLACES = (
    DemoPlace(
        "Maison de quartier des Couronneries",
        PlaceKind.SOCIAL_CENTRE,
        "37 rue Pierre-de-Coubertin, 86000 Poitiers",
        "Couronneries",
        True,
        1,
        datetime.time(14),
        datetime.time(17),
        1,
        True,
        "Accueil de la maison de quartier — 05 49 00 00 11",
    ),
    DemoPlace(
        "CCAS de Poitiers",
        PlaceKind.CCAS,
        "20 rue Carnot, 86000 Poitiers",
        "Centre-ville",
        False,
        3,
        datetime.time(9),
        datetime.time(12),
        1,
        False,
        "Service action sociale — 05 49 00 00 22",
    ),
    DemoPlace(
        "Centre social des Trois-Cités",
        PlaceKind.SOCIAL_CENTRE,
        "Place des Trois-Cités, 86000 Poitiers",
        "Trois-Cités",
        True,
        0,
        datetime.time(14),
        datetime.time(17),
        1,
        False,
        "Référente familles — 05 49 00 00 33",
    ),
    DemoPlace(
        "Foyer Adoma de Poitiers",
        PlaceKind.HOSTEL,
        "Rue de la Jeunesse, 86000 Poitiers",
        "Beaulieu",
        True,
        2,
        datetime.time(17),
        datetime.time(19),
        2,
        True,
        "Responsable de résidence — 05 49 00 00 44",
    ),
    DemoPlace(
        "Maison de quartier de Beaulieu",
        PlaceKind.SOCIAL_CENTRE,
        "10 boulevard Savari, 86000 Poitiers",
        "Beaulieu",
        True,
        4,
        datetime.time(9, 30),
        datetime.time(12),
        2,
        True,
        "Accueil — 05 49 00 00 55",
    ),
    DemoPlace(
        "Secours populaire — antenne de Saint-Éloi",
        PlaceKind.ASSOCIATION,
        "Rue des Frères-Lumière, 86000 Poitiers",
        "Saint-Éloi",
        True,
        3,
        datetime.time(14),
        datetime.time(16, 30),
        2,
        False,
        "Bénévole coordinatrice — 05 49 00 00 66",
    ),
)

# Topic mix (weights) for rights-access permanences in a priority neighbourhood.
TOPICS = (
    ("c2s", 30),
    ("amo", 20),
    ("complementaire", 14),
    ("medecin_traitant", 14),
    ("carte_vitale", 10),
    ("ame", 9),
    ("mdph", 5),
    ("prevention", 6),
    ("dentaire_optique", 5),
    ("sante_mentale", 4),
    ("logement_revenus", 5),
    ("maternite", 2),
    ("invalidite", 2),
    ("autre", 3),
)
LANGUAGES = (("fr", 70), ("ar", 10), ("ps", 4), ("prs", 3), ("ti", 3), ("ru", 3), ("uk", 3))
NEEDS_FILE = {
    "c2s": RightKind.C2S,
    "amo": RightKind.AMO,
    "ame": RightKind.AME,
    "complementaire": RightKind.COMPLEMENTARY,
    "mdph": RightKind.MDPH,
}


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def seed(org: OrganisationSeed, rng: random.Random) -> str:
    summary = _seed_outreach(org, rng)
    participation = participation_demo.seed(org, rng)
    return "; ".join(part for part in (summary, participation) if part)


def _seed_outreach(org: OrganisationSeed, rng: random.Random) -> str:
    mediator = org.users.get(f"mediation@{DEMO_DOMAIN}")
    if mediator is None:
        return ""
    main_site, antenna = org.sites[0], org.sites[1]
    places = []
    for spec in PLACES:
        place, _ = Place.objects.get_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "address": spec.address,
                "neighbourhood": spec.neighbourhood,
                "in_qpv": spec.in_qpv,
                "site": antenna if spec.antenna else main_site,
                "partner_contact": spec.contact,
            },
        )
        places.append((spec, place))
    if Permanence.objects.filter(place__in=[p for _, p in places]).exists():
        return _summary()

    today = timezone.localdate()
    first_day = (today - datetime.timedelta(days=MONTHS * 30)).replace(day=1)
    horizon = today + datetime.timedelta(days=60)
    permanences: list[Permanence] = []
    for spec, place in places:
        day = first_day + datetime.timedelta(days=(spec.weekday - first_day.weekday()) % 7)
        while day <= horizon:
            permanences.append(
                Permanence(
                    place=place,
                    mediator=mediator,
                    start=_aware(day, spec.start),
                    end=_aware(day, spec.end),
                    public_note="sans rendez-vous",
                )
            )
            day += datetime.timedelta(weeks=spec.every_weeks)
    permanences = Permanence.objects.bulk_create(permanences)
    _sessions(rng, permanences, mediator, today)
    _collective_actions(rng, [p for _, p in places], mediator, first_day, today)
    _book_some_referrals(rng, org, today)
    return _summary()


def _sessions(
    rng: random.Random, permanences: list[Permanence], mediator: object, today: datetime.date
) -> None:
    patients = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:400])
    ctype = (
        ConsultationType.objects.filter(is_active=True, bookable_by_mediators=True)
        .order_by("pk")
        .first()
    )
    linked_patients = iter(rng.sample(patients, k=min(len(patients), 120)))
    people_by_place: dict[int, list[Person]] = {}
    past = [p for p in permanences if timezone.localtime(p.start).date() <= today]
    for perm in past:
        day = timezone.localtime(perm.start).date()
        known = people_by_place.setdefault(perm.place_id, [])
        # Sessions follow one another through the permanence (2 minutes between two), as
        # many as come: 5 to 10 people, fewer when it ends first — about 1,500 sessions a year
        # over the six places.
        cursor = timezone.localtime(perm.start)
        end = timezone.localtime(perm.end)
        for _ in range(rng.randint(5, 10)):
            duration = rng.choice((10, 15, 20, 20, 30, 45))
            if cursor + datetime.timedelta(minutes=duration) > end:
                break
            started_at = cursor.time()
            cursor += datetime.timedelta(minutes=duration + 2)
            follow_up = bool(known) and rng.random() < 0.35
            if follow_up:
                person = rng.choice(known)
            else:
                patient_id = next(linked_patients, None) if rng.random() < 0.25 else None
                person = Person.objects.create(
                    patient_id=patient_id,
                    sex=rng.choice("FFFMM"),
                    age_band=rng.choices(
                        ["lt18", "18_25", "26_44", "45_64", "65p"], [3, 15, 40, 30, 12]
                    )[0],
                    in_qpv=rng.choices(
                        [TriState.YES, TriState.NO, TriState.UNKNOWN],
                        [7, 2, 1] if perm.place.in_qpv else [3, 6, 1],
                    )[0],
                    neighbourhood=perm.place.neighbourhood,
                    language=_pick(rng, LANGUAGES),
                    linked_at=timezone.now() if patient_id else None,
                    link_consent_on=day if patient_id else None,
                    created_at=perm.start,
                    created_by=mediator,  # type: ignore[misc]
                )
                known.append(person)
            topics = sorted({_pick(rng, TOPICS) for _ in range(rng.choice((1, 1, 2, 2, 3)))})
            actions = sorted(
                set(
                    rng.sample(
                        [
                            Action.INFORMATION,
                            Action.FORM_FILLED,
                            Action.FILE_SENT,
                            Action.CALL_BODY,
                            Action.ORIENTATION,
                        ],
                        k=rng.randint(1, 3),
                    )
                )
            )
            interpreting = Interpreting.NONE
            if person.language != "fr":
                interpreting = rng.choice(
                    (Interpreting.PRO_PHONE, Interpreting.PRO_ON_SITE, Interpreting.VOLUNTEER)
                )
            age_days = (today - day).days
            outcome = rng.choices(
                [
                    Outcome.RESOLVED,
                    Outcome.SUBMITTED,
                    Outcome.REFERRED,
                    Outcome.IN_PROGRESS,
                    Outcome.ABANDONED,
                ],
                [35, 25, 12, 20, 8],
            )[0]
            file = None
            need = next((NEEDS_FILE[t] for t in topics if t in NEEDS_FILE), None)
            if need and not follow_up and rng.random() < 0.5:
                file = _file(rng, person, need, mediator, day, today)
            followup_on = None
            if outcome in (Outcome.SUBMITTED, Outcome.IN_PROGRESS):
                followup_on = day + datetime.timedelta(days=rng.choice((7, 14, 21, 30)))
            done = followup_on is not None and followup_on < today - datetime.timedelta(days=3)
            session = RightsSession.objects.create(
                person=person,
                mediator=mediator,  # type: ignore[misc]
                channel="permanence",
                permanence=perm,
                place=perm.place,
                site=perm.place.site,
                held_on=day,
                started_at=started_at,
                duration_minutes=duration,
                first_contact=not follow_up,
                topics=topics,
                actions=actions,
                interpreting=interpreting,
                interpreter_language=person.language if interpreting != "aucun" else "",
                outcome=outcome,
                followup_on=followup_on,
                followup_done_at=_aware(followup_on, datetime.time(10))
                if done and followup_on
                else None,
                file=file,
                consent_on=day
                if Action.CALL_BODY in actions or Action.FILE_SENT in actions
                else None,
                consent_scope="Démarches auprès de la CPAM" if Action.CALL_BODY in actions else "",
            )
            if rng.random() < 0.09 and ctype is not None:
                Referral.objects.create(
                    person=person,
                    session=session,
                    target=ReferralTarget.CENTRE,
                    site=perm.place.site,
                    reason=rng.choice(
                        (
                            "Pas de médecin traitant, souhaite un suivi",
                            "Bilan de santé (pas de consultation depuis 2 ans)",
                            "Renouvellement de traitement, droits en cours",
                            "Douleurs, souhaite voir un médecin rapidement",
                        )
                    ),
                    urgency=rng.choices(list(Urgency.values), [6, 3, 1])[0],
                    consultation_type=ctype,
                    interpreter_language=session.interpreter_language,
                    created_at=_aware(day, datetime.time(16)),
                    created_by=mediator,  # type: ignore[misc]
                )
            elif rng.random() < 0.06:
                target = rng.choice(
                    (
                        ReferralTarget.PASS,
                        ReferralTarget.CCAS,
                        ReferralTarget.SOCIAL_WORKER,
                        ReferralTarget.PMI,
                        ReferralTarget.CMP,
                    )
                )
                Referral.objects.create(
                    person=person,
                    session=session,
                    target=target,
                    site=perm.place.site,
                    reason="Orientation pour la suite du parcours",
                    status=ReferralStatus.BOOKED if age_days > 30 else ReferralStatus.PENDING,
                    outcome="Reçu·e par le partenaire" if age_days > 30 else "",
                    created_at=_aware(day, datetime.time(16)),
                    created_by=mediator,  # type: ignore[misc]
                )


def _file(
    rng: random.Random,
    person: Person,
    kind: str,
    mediator: object,
    day: datetime.date,
    today: datetime.date,
) -> RightsFile:
    file = RightsFile(person=person, kind=kind, mediator=mediator, opened_on=day)  # type: ignore[misc]
    documents = day + datetime.timedelta(days=rng.randint(0, 10))
    filed = documents + datetime.timedelta(days=rng.randint(0, 7))
    # C2S and AMO take about a month to decide (Saint-Denis PASS: 30 days on average).
    decided = filed + datetime.timedelta(days=max(5, int(rng.gauss(32, 12))))
    if documents <= today:
        file.documents_on, file.status = documents, FileStatus.DOCUMENTS
    if filed <= today:
        file.filed_on, file.filed_how, file.status = (
            filed,
            rng.choice(FiledHow.values),
            FileStatus.FILED,
        )
    if decided <= today:
        decision = rng.choices(list(Decision.values), [8, 1, 1])[0]
        file.decided_on, file.decision, file.status = decided, decision, FileStatus.DECIDED
        file.closed_on = decided
        if decision != Decision.REFUSED:
            file.effective_from = filed
    elif rng.random() < 0.05:
        file.status, file.closed_on = FileStatus.ABANDONED, today
    file.save()
    return file


def _collective_actions(
    rng: random.Random,
    places: list[Place],
    organiser: object,
    first_day: datetime.date,
    today: datetime.date,
) -> None:
    couronneries, ccas, trois_cites, adoma, beaulieu, _ = places
    patients = list(Patient.objects.order_by("pk")[:200])
    rows: list[tuple[str, str, Place, datetime.date, int, list[str], str, str]] = []
    month = first_day
    while month <= today:
        rows.append(
            (
                CollectiveKind.CAFE,
                "Café Santé : vos droits à l'Assurance maladie",
                rng.choice((ccas, couronneries, trois_cites)),
                month + datetime.timedelta(days=9),
                rng.randint(6, 18),
                ["droits"],
                "CPAM de la Vienne",
                "Axe 1 — fiche 1.2",
            )
        )
        if month.month in (3, 6, 10):
            rows.append(
                (
                    CollectiveKind.SCREENING,
                    "Dépistage visuel",
                    rng.choice((adoma, beaulieu, trois_cites)),
                    month + datetime.timedelta(days=15),
                    rng.randint(10, 25),
                    ["vue"],
                    "Opticiens solidaires, maison de quartier",
                    "Axe 2 — fiche 2.3",
                )
            )
        if month.month in (4, 10, 11):
            rows.append(
                (
                    CollectiveKind.VACCINATION,
                    "Journée de vaccination gratuite",
                    rng.choice((couronneries, trois_cites)),
                    month + datetime.timedelta(days=20),
                    rng.randint(15, 40),
                    ["vaccination"],
                    "Centre de vaccination du CHU, PMI",
                    "Axe 2 — fiche 2.1",
                )
            )
        if month.month in (5, 7, 9):
            rows.append(
                (
                    CollectiveKind.WALK,
                    "Marche santé au parc de Blossac",
                    rng.choice((couronneries, trois_cites)),
                    month + datetime.timedelta(days=5),
                    rng.randint(8, 20),
                    ["activite_physique"],
                    "Office des sports, maison de quartier",
                    "Axe 3 — fiche 3.2",
                )
            )
        if month.month in (2, 5, 9, 12):
            rows.append(
                (
                    CollectiveKind.WORKSHOP,
                    "Atelier « Bien manger avec un petit budget »",
                    trois_cites,
                    month + datetime.timedelta(days=12),
                    rng.randint(6, 12),
                    ["nutrition", "diabete"],
                    "Épicerie solidaire",
                    "Axe 3 — fiche 3.1",
                )
            )
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    for kind, title, place, day, count, themes, partners, cls in rows:
        if day > today:
            continue
        action = CollectiveAction.objects.create(
            kind=kind,
            title=title,
            place=place,
            site=place.site,
            held_on=day,
            start_time=datetime.time(14),
            end_time=datetime.time(16),
            partners=partners,
            participants_count=count,
            themes=themes,
            cls_action=cls,
            organiser=organiser,  # type: ignore[misc]
        )
        if patients and rng.random() < 0.5:
            action.attendees.set(rng.sample(patients, k=min(len(patients), rng.randint(1, 4))))


def _book_some_referrals(rng: random.Random, org: OrganisationSeed, today: datetime.date) -> None:
    """About half of the referrals to the centre older than two weeks were booked (and most of
    those consultations took place); recent ones wait in reception's queue."""
    receptionist = org.users.get(f"accueil@{DEMO_DOMAIN}")
    gps = list(StaffProfile.objects.filter(profession=Profession.GENERALISTE).order_by("pk"))
    if receptionist is None or not gps:
        return
    old = Referral.objects.filter(
        Q(target=ReferralTarget.CENTRE),
        status=ReferralStatus.PENDING,
        created_at__date__lt=today - datetime.timedelta(days=14),
    ).select_related("person", "consultation_type", "site")
    free_patients = list(
        Patient.objects.filter(outreach_person__isnull=True)
        .order_by("-pk")
        .values_list("pk", flat=True)[:100]
    )
    rng.shuffle(free_patients)
    for referral in old.order_by("pk"):
        draw = rng.random()
        if draw < 0.15:
            referral.decline(by=receptionist, at=referral.created_at, reason="Personne injoignable")
            referral.save()
            continue
        if referral.person.patient_id is None and free_patients:
            # Reception registered (here: found) the person, who agreed to the link.
            person = referral.person
            person.patient_id = free_patients.pop()
            person.linked_at = referral.created_at
            person.link_consent_on = timezone.localtime(referral.created_at).date()
            person.save(update_fields=["patient", "linked_at", "link_consent_on"])
        if draw > 0.7 or referral.person.patient_id is None or referral.consultation_type is None:
            referral.cancel(
                by=receptionist, at=referral.created_at, reason="Pris en charge ailleurs"
            )
            referral.save()
            continue
        day = timezone.localtime(referral.created_at).date() + datetime.timedelta(
            days=rng.randint(2, 10)
        )
        start = _aware(
            day, datetime.time(rng.choice((8, 9, 10, 11, 14, 15, 16)), rng.choice((0, 20, 40)))
        )
        try:
            appointment = booking.appointment_book(
                patient=referral.person.patient,  # type: ignore[arg-type]
                practitioner=rng.choice(gps),
                consultation_type=referral.consultation_type,
                site=referral.site,
                start=start,
                by=receptionist,
                interpreter_language=referral.interpreter_language,
            )
        except booking.BookingError:
            continue
        if appointment.start < timezone.now() and rng.random() < 0.85:
            appointment.mark_seen(by=receptionist)
            appointment.save()
        elif appointment.start < timezone.now():
            appointment.mark_no_show(by=receptionist)
            appointment.save()
        referral.mark_booked(
            by=receptionist,
            at=referral.created_at,
            outcome=f"Rendez-vous le {timezone.localtime(appointment.start):%d/%m/%Y à %H:%M}",
        )
        referral.appointment = appointment
        referral.save()


def _summary() -> str:
    return (
        f"{Place.objects.count()} lieux, {Permanence.objects.count()} permanences, "
        f"{RightsSession.objects.count()} entretiens, {Person.objects.count()} personnes, "
        f"{RightsFile.objects.count()} dossiers, {Referral.objects.count()} orientations "
        f"({Referral.objects.filter(appointment__isnull=False).count()} programmées), "
        f"{CollectiveAction.objects.count()} actions collectives"
    )

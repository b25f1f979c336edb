"""A generated centre at realistic scale, for the benchmarks and the load test.

With the default seed: 200,000 patients with their coverage, three years of appointments for
ten practitioners (about 7,000 a month, 20-minute slots from 8:00 to 20:00, some free), an
invoice for each consultation seen with its AMO claim (and AMC when there is one) grouped in
weekly batches, the payments, and the outreach of three mediators (permanences at partner
places, rights sessions, collective actions).

Speed: the rows are built as model instances (so every model default applies) and loaded with
PostgreSQL COPY, ids taken from the tables' sequences beforehand. Nothing goes through the
services: **the generated rows are not audited** and no rule of the services is re-checked (the
database constraints still are: exclusion constraints, checks, foreign keys). About two
minutes on the 2-core test machine; the result is kept in the bench database and reused by the
next runs, recognised by the marker centre whose name carries the seed and the format version.
"""

from __future__ import annotations

import datetime
import importlib
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import connection, models, transaction

from appointments.models import Appointment, ConsultationType, Status, WeeklySchedule
from billing.models import (
    Act,
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentSource,
    Tariff,
)
from centre.demo import with_luhn
from centre.models import Centre, Profession, Site, StaffProfile, User
from outreach.models import (
    CollectiveAction,
    CollectiveKind,
    Permanence,
    Person,
    Place,
    PlaceKind,
    RightsSession,
    Topic,
    TriState,
)
from patients.identifiers import nir_key
from patients.models import Coverage, CoverageKind, Patient

SEED = 20261123
VERSION = 1
PATIENTS = 200_000
WEEKS = 156  # three years
PARIS = ZoneInfo("Europe/Paris")
LOG: list[str] = []  # what was loaded, and how fast
DAY_START, DAY_END, SLOT = 8 * 60, 20 * 60, 20  # minutes
# Ten practitioners: profession, act billed, coefficient.
TEAM = [
    (Profession.GENERALISTE, "G", 1),
    (Profession.GENERALISTE, "G", 1),
    (Profession.GENERALISTE, "G", 1),
    (Profession.GENERALISTE, "G", 1),
    (Profession.GENERALISTE, "G", 1),
    (Profession.GENERALISTE, "G", 1),
    (Profession.GYNECOLOGUE, "CS", 1),
    (Profession.INFIRMIER, "AMI", 4),
    (Profession.INFIRMIER, "AMI", 4),
    (Profession.ORTHOPHONISTE, "AMO", 10),
]
CENT = Decimal("0.01")

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Diallo",
    "Traoré",
    "Camara",
    "Ndiaye",
    "Benali",
    "Haddad",
    "Mansouri",
    "Nguyen",
    "Yilmaz",
    "Popescu",
]
FIRST_NAMES = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Hélène",
    "Françoise",
    "Valérie",
    "Christine",
    "Céline",
    "Julie",
    "Émilie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Fatima",
    "Aïcha",
    "Khadija",
    "Amina",
    "Awa",
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Patrick",
    "Nicolas",
    "Julien",
    "Thomas",
    "Lucas",
    "Hugo",
    "Mohamed",
    "Ahmed",
    "Karim",
    "Youssef",
    "Mamadou",
    "Moussa",
    "Andrei",
    "Minh",
    "Oleksandr",
]
SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bou",
    "ca",
    "ce",
    "ch",
    "co",
    "da",
    "de",
    "di",
    "do",
    "du",
    "fa",
    "fe",
    "fo",
    "ga",
    "ge",
    "gi",
    "go",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nou",
    "pa",
    "pe",
    "pi",
    "po",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "va",
    "ve",
    "vi",
    "zi",
]
ENDINGS = ("", "t", "n", "r", "l", "s", "ux", "ard", "ier", "on", "ot", "in", "y", "ez", "é")


@dataclass
class Generated:
    """Handles on the generated centre, for the benchmarks."""

    centre: Centre
    sites: list[Site]
    practitioners: list[StaffProfile]
    receptionists: list[User]
    mediators: list[User]
    clerk: User
    director: User
    first_monday: datetime.date
    anchor: datetime.date  # Monday of the week after the last generated past week

    @property
    def site(self) -> Site:
        return self.sites[0]

    def busiest_day(self) -> datetime.date:
        """A past weekday of the main site with the most appointments (the day-view case)."""
        return self.anchor - datetime.timedelta(days=7)


def marker(seed: int) -> str:
    return f"Centre généré (graine {seed}, v{VERSION})"


def last_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(LAST_NAMES)
    syllables = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return (syllables + rng.choice(ENDINGS)).capitalize()


# --- loading --------------------------------------------------------------------------------


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """COPY `objs` into `model`'s table; ids are assigned from its sequence first."""
    if not objs:
        return
    for obj, pk in zip(objs, _reserve_ids(model, len(objs)), strict=True):
        obj._prepare_related_fields_for_save(operation_name="copy_rows")  # FK ids from objects
        obj.pk = pk
    fields = [
        f
        for f in model._meta.concrete_fields
        if not getattr(f, "generated", False) and f.column is not None
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
        with raw.copy(sql) as copy:  # type: ignore[union-attr]
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
    elapsed = time.perf_counter() - started
    LOG.append(f"{model._meta.db_table}: {len(objs)} lignes en {elapsed:.1f} s")


@contextmanager
def exclusion_constraints_rebuilt(model: type[models.Model]) -> Iterator[None]:
    """Drop `model`'s exclusion constraints for a bulk load and add them back afterwards: one
    GiST build instead of a quarter of a million index insertions, and every row is still
    checked when the constraint comes back (same transaction)."""
    constraints = [c for c in model._meta.constraints if isinstance(c, ExclusionConstraint)]
    with connection.schema_editor(atomic=False) as editor:
        for constraint in constraints:
            editor.remove_constraint(model, constraint)
    yield
    with connection.cursor() as cursor:  # run the deferred foreign key checks first
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    with connection.schema_editor(atomic=False) as editor:
        for constraint in constraints:
            editor.add_constraint(model, constraint)


# --- generation -----------------------------------------------------------------------------


def _staff(centre: Centre, sites: list[Site], role: str, n: int, profession: str = "") -> User:
    from tests.factories import make_staff

    user = make_staff(
        role,
        centre=centre,
        sites=sites,
        profession=profession,
        email=f"{role}{n}@bench.passerelle.fr",
        first_name=f"{role.capitalize()}",
        last_name=f"Bench {n}",
    )
    if profession:  # an RPPS range of its own: the factories' counter restarts at each run
        StaffProfile.objects.filter(user=user).update(rpps=with_luhn(f"19{n:08d}"))
    return user


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _patients(rng: random.Random, site: Site, now: datetime.datetime) -> list[Patient]:
    patients = []
    for _ in range(PATIENTS):
        sex = rng.choice("FM")
        born = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randint(0, 34_000))
        body = (
            f"{'1' if sex == 'M' else '2'}{born.year % 100:02d}{born.month:02d}"
            f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
        )
        patients.append(
            Patient(
                last_name=last_name(rng),
                first_name=rng.choice(FIRST_NAMES),
                sex=sex,
                birth_date=born,
                nir=body + nir_key(body) if rng.random() < 0.7 else "",
                phone=f"+336{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.85 else "",
                in_qpv=rng.choice((None, True, True, False)),
                interpreter_needed=rng.random() < 0.08,
                consent_sms=rng.random() < 0.6,
                created_at=now,
                usual_site=site,
            )
        )
    copy_rows(Patient, patients)
    return patients


def _coverages(rng: random.Random, patients: list[Patient], start: datetime.date) -> list[bool]:
    """AMO for 88 %, AME for 6 %, no rights for 6 %; C2S for a quarter, a mutuelle for half,
    a declared médecin traitant (in the centre for most) for 60 %. Returns who has an AMC."""
    rows: list[Coverage] = []
    has_amc: list[bool] = []
    for p in patients:
        draw = rng.random()
        amc = False
        if draw < 0.88:
            rows.append(Coverage(patient=p, kind=CoverageKind.AMO, start=start, caisse_code="861"))
            if rng.random() < 0.25:
                rows.append(Coverage(patient=p, kind=CoverageKind.C2S, start=start))
                amc = True
            elif rng.random() < 0.6:
                rows.append(
                    Coverage(
                        patient=p,
                        kind=CoverageKind.AMC,
                        start=start,
                        organism_name="Mutuelle générée",
                        organism_number="12345678",
                        tiers_payant=True,
                    )
                )
                amc = True
        elif draw < 0.94:
            rows.append(Coverage(patient=p, kind=CoverageKind.AME, start=start))
        if rng.random() < 0.6:
            rows.append(
                Coverage(
                    patient=p,
                    kind=CoverageKind.MEDECIN_TRAITANT,
                    start=start,
                    doctor_in_centre=rng.random() < 0.8,
                )
            )
        has_amc.append(amc)
    copy_rows(Coverage, rows)
    return has_amc


def _tariffs() -> dict[str, list[Tariff]]:
    by_code: dict[str, list[Tariff]] = {}
    for tariff in Tariff.objects.select_related("act").order_by("valid_from"):
        by_code.setdefault(tariff.act.code, []).append(tariff)
    return by_code


def _tariff_on(tariffs: list[Tariff], day: datetime.date) -> Tariff:
    valid = [t for t in tariffs if t.valid_from <= day]
    return valid[-1] if valid else tariffs[0]


def generate(seed: int = SEED) -> Generated:
    """Generate the centre in the current database (one transaction)."""
    rng = random.Random(seed)
    today = datetime.date.today()
    anchor = today - datetime.timedelta(days=today.weekday())
    first_monday = anchor - datetime.timedelta(weeks=WEEKS)
    now = datetime.datetime.combine(first_monday, datetime.time(9), tzinfo=PARIS)
    with transaction.atomic():
        if not Act.objects.exists():  # the fee schedule migration's rows were flushed
            importlib.import_module("billing.migrations.0002_fee_schedule").load(apps, None)
        centre = Centre.objects.create(
            name=f"{marker(seed)} {anchor.isoformat()}",
            finess=with_luhn("86000777"),
            address="1 rue du Banc d'essai\n86000 Poitiers",
        )
        sites = [
            Site.objects.create(centre=centre, name="Site généré", address="1 rue", in_qpv=True),
            Site.objects.create(centre=centre, name="Antenne générée", address="2 rue"),
        ]
        main = sites[0]
        practitioners = [
            _staff(centre, [main], "soignant", n, profession).profile
            for n, (profession, _, _) in enumerate(TEAM)
        ]
        receptionists = [_staff(centre, sites, "accueil", n) for n in range(6)]
        mediators = [_staff(centre, sites, "mediation", n) for n in range(3)]
        clerk = _staff(centre, sites, "facturation", 0)
        director = _staff(centre, sites, "direction", 0)
        types = {
            profession: ConsultationType.objects.get_or_create(
                label=f"Consultation générée ({profession})",
                defaults={"profession": profession, "duration_minutes": SLOT},
            )[0]
            for profession, _, _ in TEAM
        }
        WeeklySchedule.objects.bulk_create(
            WeeklySchedule(
                practitioner=profile,
                site=main,
                weekday=weekday,
                start_time=datetime.time(8),
                end_time=datetime.time(20),
                valid_from=first_monday,
            )
            for profile in practitioners
            for weekday in range(5)
        )

        patients = _patients(rng, main, now)
        has_amc = _coverages(rng, patients, first_monday - datetime.timedelta(days=365))
        amc_of = {p.pk: amc for p, amc in zip(patients, has_amc, strict=True)}
        _appointments_and_billing(
            rng,
            main=main,
            practitioners=practitioners,
            types=types,
            patients=patients,
            amc_of=amc_of,
            receptionists=receptionists,
            clerk=clerk,
            first_monday=first_monday,
            anchor=anchor,
        )
        _outreach(rng, sites=sites, mediators=mediators, first_monday=first_monday, anchor=anchor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Generated(
        centre=centre,
        sites=sites,
        practitioners=practitioners,
        receptionists=receptionists,
        mediators=mediators,
        clerk=clerk,
        director=director,
        first_monday=first_monday,
        anchor=anchor,
    )


def _working_days(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    day = first
    while day < last:
        if day.weekday() < 5:
            yield day
        day += datetime.timedelta(days=1)


def _appointments_and_billing(
    rng: random.Random,
    *,
    main: Site,
    practitioners: list[StaffProfile],
    types: dict[str, ConsultationType],
    patients: list[Patient],
    amc_of: dict[int, bool],
    receptionists: list[User],
    clerk: User,
    first_monday: datetime.date,
    anchor: datetime.date,
) -> None:
    """Past weeks: ~92 % of the slots booked (seen 85 %, no-show 7 %, excused 4 %,
    cancelled 4 %); the four weeks after the anchor: ~60 % booked. One invoice per
    consultation seen, tiers payant AMO (and AMC when the patient has one); weekly batches."""
    tariffs = _tariffs()
    acts = {code: Act.objects.get(code=code) for _, code, _ in TEAM}
    slots_per_day = (DAY_END - DAY_START) // SLOT
    future_end = anchor + datetime.timedelta(weeks=4)
    appointments: list[Appointment] = []
    for day in _working_days(first_monday, future_end):
        past = day < anchor
        fill = 0.92 if past else 0.6
        for k in range(slots_per_day):
            start = datetime.datetime.combine(day, datetime.time(8), tzinfo=PARIS)
            start += datetime.timedelta(minutes=SLOT * k)
            booked = [p for p in practitioners if rng.random() < fill]
            for profile, patient in zip(booked, rng.sample(patients, len(booked)), strict=True):
                if past:
                    draw = rng.random()
                    status = (
                        Status.SEEN
                        if draw < 0.85
                        else Status.NO_SHOW
                        if draw < 0.92
                        else Status.EXCUSED
                        if draw < 0.96
                        else Status.CANCELLED
                    )
                else:
                    status = Status.BOOKED
                appointments.append(
                    Appointment(
                        patient=patient,
                        practitioner=profile,
                        consultation_type=types[profile.profession],
                        site=main,
                        start=start,
                        end=start + datetime.timedelta(minutes=SLOT),
                        status=status,
                        interpreter_language="ar" if rng.random() < 0.05 else "",
                        booked_by=rng.choice(receptionists),
                        created_at=start - datetime.timedelta(days=rng.randint(0, 30)),
                    )
                )
    with exclusion_constraints_rebuilt(Appointment):
        copy_rows(Appointment, appointments)

    team = {p.pk: (code, coeff) for p, (_, code, coeff) in zip(practitioners, TEAM, strict=True)}
    invoices: list[Invoice] = []
    lines: list[InvoiceLine] = []
    seen = [a for a in appointments if a.status == Status.SEEN]
    for n, appt in enumerate(seen):
        day = appt.start.date()
        code, coeff = team[appt.practitioner.pk]
        tariff = _tariff_on(tariffs[code], day)
        amount = _money(tariff.unit_price * coeff)
        amo = _money(amount * tariff.amo_rate)
        amc = amount - amo if amc_of[appt.patient.pk] else Decimal("0.00")
        invoice = Invoice(
            number=f"G{n:09d}",
            patient=appt.patient,
            appointment=appt,
            practitioner=appt.practitioner,
            site=main,
            date_of_care=day,
            total=amount,
            amo=amo,
            amc=amc,
            patient_share=amount - amo - amc,
            patient_due=amount - amo - amc,
            patient_paid=amount - amo - amc,
            amc_payer="AMC" if amc else "",
            amc_tiers_payant=bool(amc),
            coverage={"generated": True},
            created_at=appt.end,
            created_by=clerk,
        )
        invoices.append(invoice)
        lines.append(
            InvoiceLine(
                invoice=invoice,
                act=acts[code],
                tariff=tariff,
                code=code,
                label=acts[code].label,
                unit_price=tariff.unit_price,
                coefficient=Decimal(coeff),
                amount=amount,
                amo_rate=tariff.amo_rate,
                amo=amo,
            )
        )
    copy_rows(Invoice, invoices)
    copy_rows(InvoiceLine, lines)
    del lines

    # Weekly batches per payer: all claims of past weeks were sent; most are paid, a few
    # rejected, the last two weeks only acknowledged.
    batches: dict[tuple[str, datetime.date], Batch] = {}
    numbers: dict[str, int] = {}
    claims: list[Claim] = []
    payments: list[Payment] = []
    for inv in invoices:
        week = inv.date_of_care - datetime.timedelta(days=inv.date_of_care.weekday())
        recent = (anchor - week).days <= 14
        for payer_type, payer_code, amount in (("AMO", "861", inv.amo), ("AMC", "123", inv.amc)):
            if not amount:
                continue
            key = (payer_type, week)
            if key not in batches:
                numbers[payer_type] = numbers.get(payer_type, 0) + 1
                sent = datetime.datetime.combine(
                    week + datetime.timedelta(days=5), datetime.time(18), tzinfo=PARIS
                )
                batches[key] = Batch(
                    payer_type=payer_type,
                    payer_code=payer_code,
                    number=numbers[payer_type],
                    status=BatchStatus.ACKNOWLEDGED,
                    format_version="gen",
                    created_at=sent,
                    built_at=sent,
                    sent_at=sent,
                    acknowledged_on=sent.date() + datetime.timedelta(days=2),
                    created_by=clerk,
                )
            draw = rng.random()
            status = (
                ClaimStatus.ACKNOWLEDGED
                if recent
                else ClaimStatus.REJECTED
                if draw < 0.03
                else ClaimStatus.PAID
            )
            paid_on = week + datetime.timedelta(days=12)
            claim = Claim(
                reference=f"{inv.number}-{payer_type}1",
                invoice=inv,
                payer_type=payer_type,
                payer_code=payer_code,
                amount=amount,
                status=status,
                batch=batches[key],
                acknowledged_on=week + datetime.timedelta(days=7),
                paid_amount=amount if status == ClaimStatus.PAID else Decimal("0.00"),
                paid_on=paid_on if status == ClaimStatus.PAID else None,
                reject_code="R12" if status == ClaimStatus.REJECTED else "",
                reject_label="Droits non ouverts" if status == ClaimStatus.REJECTED else "",
                created_at=inv.created_at,
            )
            claims.append(claim)
            if status == ClaimStatus.PAID:
                payments.append(
                    Payment(
                        invoice=inv,
                        claim=claim,
                        source=PaymentSource.AMO if payer_type == "AMO" else PaymentSource.AMC,
                        method="transfer",
                        amount=amount,
                        received_on=paid_on,
                        reference=f"VIR{week:%Y%m%d}",
                        recorded_by=clerk,
                    )
                )
    batch_list = list(batches.values())
    copy_rows(Batch, batch_list)
    counts: dict[int, int] = {}
    for claim in claims:
        counts[claim.batch.pk] = counts.get(claim.batch.pk, 0) + 1  # type: ignore[union-attr]
    for batch in batch_list:
        batch.claims_count = counts.get(batch.pk, 0)
    Batch.objects.bulk_update(batch_list, ["claims_count"], batch_size=1000)
    copy_rows(Claim, claims)
    copy_rows(Payment, payments)


def _outreach(
    rng: random.Random,
    *,
    sites: list[Site],
    mediators: list[User],
    first_monday: datetime.date,
    anchor: datetime.date,
) -> None:
    """Eight partner places; each mediator holds four half-day permanences a week and meets
    two to five people in each; a collective action a week."""
    kinds = [PlaceKind.SOCIAL_CENTRE] * 4 + [PlaceKind.ASSOCIATION] * 4
    places = [
        Place.objects.create(
            name=f"Lieu généré {n}", kind=kinds[n], site=sites[n % 2], in_qpv=n < 6
        )
        for n in range(8)
    ]
    permanences: list[Permanence] = []
    for day in _working_days(first_monday, anchor + datetime.timedelta(weeks=4)):
        for m, mediator in enumerate(mediators):
            if (day.weekday() + m) % 5 == 4:
                continue  # one day a week at the centre
            start = datetime.datetime.combine(day, datetime.time(9 if m % 2 else 14), PARIS)
            permanences.append(
                Permanence(
                    place=places[(day.toordinal() + m) % len(places)],
                    mediator=mediator,
                    start=start,
                    end=start + datetime.timedelta(hours=3),
                )
            )
    copy_rows(Permanence, permanences)
    past = [p for p in permanences if p.start.date() < anchor]
    people: list[Person] = []
    sessions: list[RightsSession] = []
    topics = [Topic.C2S, Topic.AME, Topic.AMO, Topic.GP, Topic.VITALE]
    for perm in past:
        for k in range(rng.randint(2, 5)):
            new = not people or rng.random() < 0.55
            if new:
                people.append(
                    Person(
                        sex=rng.choice("FM"),
                        in_qpv=rng.choice((TriState.YES, TriState.YES, TriState.UNKNOWN)),
                        language=rng.choice(("fr", "fr", "ar", "ps", "ti", "uk")),
                        created_at=perm.start,
                        created_by=perm.mediator,
                    )
                )
            person = people[-1] if new else rng.choice(people)
            held = perm.start + datetime.timedelta(minutes=30 * k)
            sessions.append(
                RightsSession(
                    person=person,
                    mediator=perm.mediator,
                    permanence=perm,
                    place=perm.place,
                    site=perm.place.site,
                    held_on=held.date(),
                    started_at=held.time(),
                    first_contact=new,
                    topics=rng.sample(topics, rng.randint(1, 2)),
                    created_at=held,
                )
            )
    copy_rows(Person, people)
    copy_rows(RightsSession, sessions)
    copy_rows(
        CollectiveAction,
        [
            CollectiveAction(
                kind=CollectiveKind.CAFE,
                title=f"Café santé n° {n + 1}",
                place=places[n % len(places)],
                site=places[n % len(places)].site,
                held_on=first_monday + datetime.timedelta(weeks=n, days=3),
                participants_count=rng.randint(5, 18),
                organiser=mediators[n % len(mediators)],
            )
            for n in range(WEEKS)
        ],
    )


def find(seed: int = SEED) -> Generated | None:
    centre = Centre.objects.filter(name__startswith=marker(seed) + " ").first()
    if centre is None:
        return None
    anchor = datetime.date.fromisoformat(centre.name.rsplit(" ", 1)[1])
    sites = list(centre.sites.order_by("pk"))
    staff = StaffProfile.objects.filter(centre=centre).select_related("user").order_by("pk")

    def users(role: str) -> list[User]:
        return [p.user for p in staff if p.user.groups.filter(name=role).exists()]

    return Generated(
        centre=centre,
        sites=sites,
        practitioners=[p for p in staff if p.profession],
        receptionists=users("accueil"),
        mediators=users("mediation"),
        clerk=users("facturation")[0],
        director=users("direction")[0],
        first_monday=anchor - datetime.timedelta(weeks=WEEKS),
        anchor=anchor,
    )


def ensure(seed: int = SEED) -> tuple[Generated, float]:
    """The generated centre for `seed`, generated if it is not in the database yet. Returns it
    with the seconds spent generating (0 when reused)."""
    found = find(seed)
    if found is not None:
        return found, 0.0
    started = time.perf_counter()
    result = generate(seed)
    return result, time.perf_counter() - started


def counts() -> dict[str, int]:
    tables: list[tuple[str, type[models.Model]]] = [
        ("patients", Patient),
        ("droits", Coverage),
        ("rendez-vous", Appointment),
        ("factures", Invoice),
        ("demandes", Claim),
        ("lots", Batch),
        ("paiements", Payment),
        ("permanences", Permanence),
        ("entretiens", RightsSession),
    ]
    out: dict[str, int] = {}
    with connection.cursor() as cursor:
        for label, model in tables:
            cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")
            out[label] = cursor.fetchone()[0]
    return out

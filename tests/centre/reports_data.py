"""A small, hand-built month of activity (January 2026) for the report tests: every expected
number in tests/centre/test_reports*.py is counted by hand from this file."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from appointments.models import Appointment, ConsultationType, Status, WeeklySchedule
from billing.models import Claim, ClaimStatus, Invoice, Payment, PaymentSource
from centre.models import Profession, Site, StaffProfile, User
from centre.reports.indicators import Period
from patients.models import Coverage, CoverageKind, Patient
from tests.factories import make_staff

JANUARY = Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
PARIS = datetime.timezone(datetime.timedelta(hours=1))  # January: CET, UTC+1


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def d(month: int, day: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@dataclass
class January:
    gp: StaffProfile
    nurse: StaffProfile
    gp_b: StaffProfile
    patients: dict[str, Patient]


def build(*, site: Site, other_site: Site, staff: dict[str, User]) -> January:
    centre = site.centre
    gp = staff["soignant"].profile
    nurse = make_staff(
        "soignant", centre=centre, sites=[site], profession=Profession.INFIRMIER
    ).profile
    gp_b = make_staff("soignant", centre=centre, sites=[other_site]).profile
    gp_type = ConsultationType.objects.create(
        label="Médecine générale (rapports)", profession=Profession.GENERALISTE
    )
    nurse_type = ConsultationType.objects.create(
        label="Soins infirmiers (rapports)", profession=Profession.INFIRMIER
    )
    booker = staff["accueil"]

    def patient(key: str, created: datetime.date, **fields: object) -> Patient:
        return Patient.objects.create(
            last_name=f"Rapport{key.upper()}",
            first_name="Test",
            sex="F",
            birth_date=datetime.date(1980, 1, 1),
            created_at=at(created, 10),
            **fields,
        )

    p1 = patient("p1", d(6, 1, 2025), in_qpv=True)
    p2 = patient("p2", d(6, 1, 2025), in_qpv=False)
    p3 = patient("p3", d(1, 3), in_qpv=None, interpreter_needed=True, usual_site=site)
    p4 = patient("p4", d(6, 1, 2025), in_qpv=True)
    p5 = patient("p5", d(1, 3), in_qpv=True, usual_site=other_site)

    def right(
        p: Patient,
        kind: str,
        start: datetime.date,
        end: datetime.date | None = None,
        **extra: object,
    ) -> None:
        Coverage.objects.create(patient=p, kind=kind, start=start, end=end, **extra)

    right(p1, CoverageKind.AMO, d(1, 1, 2020))
    right(p1, CoverageKind.C2S, d(3, 1, 2025), d(2, 28, 2026))
    right(p1, CoverageKind.MEDECIN_TRAITANT, d(1, 1, 2020), doctor_in_centre=True)
    right(p2, CoverageKind.AME, d(9, 1, 2025), d(8, 31, 2026))
    right(p2, CoverageKind.AMO, d(2, 10, 2026))  # after the period: not counted
    right(p3, CoverageKind.AMO, d(1, 1, 2024), d(12, 15, 2025))  # expired: "sans droits"
    right(p4, CoverageKind.AMO, d(1, 1, 2020))
    right(p4, CoverageKind.MEDECIN_TRAITANT, d(1, 1, 2020), doctor_in_centre=True)
    right(p5, CoverageKind.AMO, d(1, 1, 2020))
    right(p5, CoverageKind.MEDECIN_TRAITANT, d(1, 1, 2020), doctor_in_centre=False)

    def rdv(
        p: Patient,
        who: StaffProfile,
        start: datetime.datetime,
        status: str,
        where: Site = site,
        kind: ConsultationType = gp_type,
        **extra: object,
    ) -> Appointment:
        return Appointment.objects.create(
            patient=p,
            practitioner=who,
            consultation_type=kind,
            site=where,
            start=start,
            end=start + datetime.timedelta(minutes=20),
            status=status,
            booked_by=booker,
            **extra,
        )

    rdv(p1, gp, at(d(12, 10, 2025), 9), Status.SEEN)  # before: p1 is not new
    rdv(p2, nurse, at(d(12, 31, 2025), 23, 30), Status.SEEN, kind=nurse_type)  # Dec 31, Paris
    rdv(p1, gp, at(d(1, 5), 9), Status.SEEN, interpreter_language="ar")
    rdv(p1, gp, at(d(1, 12), 9), Status.SEEN)
    rdv(p2, nurse, at(d(1, 6), 10), Status.SEEN, kind=nurse_type)
    rdv(p2, gp, at(d(1, 20), 9), Status.NO_SHOW)
    rdv(p3, gp, at(d(1, 7), 11), Status.SEEN, is_walk_in=True)
    rdv(p3, gp, at(d(1, 21), 9), Status.EXCUSED)
    rdv(p4, gp, at(d(1, 8), 9), Status.NO_SHOW)
    rdv(p5, gp_b, at(d(1, 31), 23), Status.ARRIVED, where=other_site, interpreter_language="ps")
    rdv(p1, gp, at(d(2, 1), 0, 30), Status.SEEN)  # Feb 1, Paris: after the period
    rdv(p3, gp, at(d(1, 14), 9), Status.BOOKED)  # never filled in: not held

    def weekly(
        who: StaffProfile,
        where: Site,
        weekday: int,
        start: str,
        end: str,
        until: datetime.date | None = None,
    ) -> None:
        WeeklySchedule.objects.create(
            practitioner=who,
            site=where,
            weekday=weekday,
            start_time=datetime.time.fromisoformat(start),
            end_time=datetime.time.fromisoformat(end),
            valid_from=d(1, 1, 2025),
            valid_until=until,
        )

    weekly(gp, site, 0, "09:00", "12:00")
    weekly(gp, site, 3, "14:00", "18:30")
    weekly(nurse, site, 1, "08:00", "10:00", until=d(1, 15))  # ended before Jan 31
    weekly(gp_b, other_site, 4, "09:00", "12:00")

    clerk = staff["facturation"]

    def invoice(
        n: int,
        p: Patient,
        on: datetime.date,
        where: Site,
        total: str,
        amo: str,
        amc: str,
        share: str,
        due: str,
        paid: str,
    ) -> Invoice:
        return Invoice.objects.create(
            number=f"RAP{n:04d}",
            patient=p,
            practitioner=gp,
            site=where,
            date_of_care=on,
            total=Decimal(total),
            amo=Decimal(amo),
            amc=Decimal(amc),
            patient_share=Decimal(share),
            patient_due=Decimal(due),
            patient_paid=Decimal(paid),
            created_by=clerk,
        )

    inv1 = invoice(1, p1, d(1, 5), site, "30.00", "21.00", "9.00", "0.00", "0.00", "0.00")
    inv2 = invoice(2, p3, d(1, 7), site, "30.00", "0.00", "0.00", "30.00", "30.00", "10.00")
    inv3 = invoice(3, p5, d(1, 31), other_site, "26.50", "18.55", "0.00", "7.95", "7.95", "7.95")
    inv4 = invoice(4, p1, d(2, 2), site, "30.00", "21.00", "9.00", "0.00", "0.00", "0.00")

    def claim(ref: str, inv: Invoice, payer: str, amount: str, status: str, paid: str = "0.00"):
        return Claim.objects.create(
            reference=ref,
            invoice=inv,
            payer_type=payer,
            payer_code="861",
            amount=Decimal(amount),
            status=status,
            paid_amount=Decimal(paid),
        )

    c1 = claim("RAP-C1", inv1, "AMO", "21.00", ClaimStatus.PAID, "21.00")
    claim("RAP-C2", inv1, "AMC", "9.00", ClaimStatus.REJECTED)
    claim("RAP-C3", inv3, "AMO", "18.55", ClaimStatus.SENT)
    claim("RAP-C4", inv4, "AMO", "21.00", ClaimStatus.SENT)

    def pay(
        inv: Invoice, source: str, amount: str, on: datetime.date, c: Claim | None = None
    ) -> None:
        Payment.objects.create(
            invoice=inv,
            claim=c,
            source=source,
            method="transfer",
            amount=Decimal(amount),
            received_on=on,
        )

    pay(inv1, PaymentSource.AMO, "21.00", d(1, 20), c1)
    pay(inv2, PaymentSource.PATIENT, "10.00", d(1, 7))
    pay(inv3, PaymentSource.PATIENT, "7.95", d(1, 31))
    pay(inv4, PaymentSource.PATIENT, "5.00", d(2, 3))  # after the period

    return January(gp, nurse, gp_b, {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5})

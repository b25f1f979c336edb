"""The four report templates of issue 7, each listing its sections and indicators.

An indicator whose app is not installed (or defines no indicators yet) is left out of the
report, which says so; every other number comes from the registry.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from centre.reports.indicators import Period, registry


@dataclass(frozen=True)
class Section:
    title: str
    indicators: tuple[str, ...]
    # The indicator drawn as a chart at the top of the section (its breakdown), if any.
    chart: str = ""


@dataclass(frozen=True)
class ReportTemplate:
    key: str
    title: str
    audience: str
    description: str
    sections: tuple[Section, ...]
    # The period the request form proposes: "month" (the last full month) or "year" (the last
    # full calendar year).
    cadence: str = "month"

    def default_period(self, today: datetime.date) -> Period:
        return last_full_year(today) if self.cadence == "year" else last_full_month(today)

    @property
    def indicator_keys(self) -> tuple[str, ...]:
        keys: list[str] = []
        for section in self.sections:
            keys += [k for k in section.indicators if k not in keys]
        return tuple(keys)

    def available(self) -> tuple[str, ...]:
        known = registry()
        return tuple(k for k in self.indicator_keys if k in known)

    def missing(self) -> tuple[str, ...]:
        known = registry()
        return tuple(k for k in self.indicator_keys if k not in known)


ACTIVITY = Section(
    "Activité de soins",
    (
        "appointments.consultations",
        "appointments.consultations_by_week",
        "appointments.walk_ins",
        "appointments.no_show_rate",
    ),
    chart="appointments.consultations_by_week",
)
PATIENTS = Section(
    "Patient·e·s",
    (
        "appointments.patients_seen",
        "patients.new_records",
        "appointments.coverage_mix",
        "appointments.qpv_share",
        "appointments.interpreting",
    ),
)
OUTREACH = Section(
    "Médiation et accès aux droits",
    (
        "outreach.sessions",
        "outreach.distinct_people",
        "outreach.topics",
        "outreach.rights_opened",
        "outreach.referrals_to_consultation",
    ),
    chart="outreach.sessions",
)
COLLECTIVE = Section(
    "Prévention et participation",
    ("outreach.collective_actions", "outreach.collective_participants"),
    chart="outreach.collective_actions",
)
PARTICIPATION = Section(
    "Participation des usager·e·s",
    (
        "outreach.participation_surveys",
        "outreach.participation_answer_sheets",
        "outreach.participation_committee_meetings",
        "outreach.participation_user_requests",
    ),
)
BILLING = Section(
    "Facturation",
    ("billing.billed", "billing.paid", "billing.rejected", "billing.unpaid"),
)

TEMPLATES: dict[str, ReportTemplate] = {
    t.key: t
    for t in (
        ReportTemplate(
            "monthly_board",
            "Rapport d'activité mensuel",
            "Conseil d'administration",
            "L'activité du mois : consultations, patient·e·s, médiation, actions collectives "
            "et facturation.",
            (ACTIVITY, PATIENTS, OUTREACH, COLLECTIVE, BILLING),
        ),
        ReportTemplate(
            "annual_centre",
            "Rapport annuel d'activité du centre de santé",
            "ARS, assurance maladie (Accord national des centres de santé)",
            "Activité par profession, patientèle, patient·e·s médecin traitant, tiers payant, "
            "horaires d'ouverture, équipe, actions de prévention et de participation.",
            (
                Section(
                    "Offre de soins",
                    (
                        "centre.practitioners",
                        "centre.weekly_hours",
                        "centre.staff_by_role",
                    ),
                    chart="centre.weekly_hours",
                ),
                Section(
                    "Activité par profession",
                    (
                        "appointments.consultations",
                        "appointments.consultations_by_week",
                        "appointments.no_show_rate",
                    ),
                    chart="appointments.consultations",
                ),
                Section(
                    "Patientèle",
                    (
                        "appointments.patients_seen",
                        "appointments.medecin_traitant",
                        "appointments.coverage_mix",
                        "appointments.qpv_share",
                        "billing.tiers_payant",
                    ),
                ),
                COLLECTIVE,
                PARTICIPATION,
            ),
            cadence="year",
        ),
        ReportTemplate(
            "outreach_city",
            "Médiation en santé et accès aux droits",
            "Ville, contrat local de santé",
            "Permanences et entretiens par lieu, personnes rencontrées, sujets, droits ouverts, "
            "orientations, interprétariat et actions collectives.",
            (
                Section(
                    "Entretiens et personnes rencontrées",
                    (
                        "outreach.sessions",
                        "outreach.sessions_by_month",
                        "outreach.distinct_people",
                        "outreach.qpv_share",
                    ),
                    chart="outreach.sessions_by_month",
                ),
                Section(
                    "Droits",
                    (
                        "outreach.topics",
                        "outreach.rights_opened",
                        "outreach.median_days_to_opening",
                    ),
                    chart="outreach.topics",
                ),
                Section(
                    "Orientations et interprétariat",
                    (
                        "outreach.referrals",
                        "outreach.referrals_to_consultation",
                        "outreach.interpreting",
                    ),
                ),
                COLLECTIVE,
            ),
            cadence="year",
        ),
        ReportTemplate(
            "participatory_programme",
            "Indicateurs du programme « santé participative »",
            "Programme national santé participative",
            "Médiation, interprétariat, participation des habitant·e·s, personnes éloignées du "
            "soin atteintes.",
            (
                Section(
                    "Médiation en santé",
                    ("outreach.sessions", "outreach.distinct_people", "outreach.rights_opened"),
                ),
                Section(
                    "Interprétariat",
                    ("outreach.interpreting", "appointments.interpreting"),
                    chart="appointments.interpreting",
                ),
                Section(
                    "Participation des habitant·e·s",
                    (
                        "outreach.collective_actions",
                        "outreach.collective_participants",
                        *PARTICIPATION.indicators,
                    ),
                ),
                Section(
                    "Personnes éloignées du soin",
                    (
                        "appointments.coverage_mix",
                        "appointments.qpv_share",
                        "outreach.qpv_share",
                        "outreach.referrals_to_consultation",
                    ),
                ),
            ),
            cadence="year",
        ),
    )
}


def last_full_month(today: datetime.date) -> Period:
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return Period(end.replace(day=1), end)


def last_full_year(today: datetime.date) -> Period:
    year = today.year - 1
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def choices() -> list[tuple[str, str]]:
    return [(t.key, t.title) for t in TEMPLATES.values()]

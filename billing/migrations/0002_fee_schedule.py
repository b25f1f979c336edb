"""The fee schedule and the PF / franchise parameters, as dated data, each with its source (the
2024–2029 medical convention approved by the arrêté of 20 June 2024, the NGAP, art. L160-13
CSS for the PF and the franchise; docs/billing.md « Tarifs et paramètres »).

Figures not yet confirmed by a published text are loaded with to_verify=True and flagged in
the UI.
The director edits them afterwards; this migration never overwrites an existing row.
"""

from decimal import Decimal

from django.db import migrations

CONV_2024 = "Convention médicale 2024–2029, arrêté du 20 juin 2024 (JO du 21 juin 2024)"

# code, label, professions, kind, is_modifier, care_pathway, default coefficient
ACTS = [
    ("G", "Consultation de médecine générale", ["medecin_generaliste"], "medecin", False, True, "1"),
    ("GS", "Consultation de médecine générale (spécialiste en MG)", ["medecin_generaliste"], "medecin", False, True, "1"),
    ("VG", "Visite à domicile de médecine générale (G + MD)", ["medecin_generaliste"], "medecin", False, True, "1"),
    ("MEG", "Majoration enfant de moins de 6 ans", ["medecin_generaliste"], "medecin", True, False, "1"),
    ("TCG", "Téléconsultation de médecine générale", ["medecin_generaliste"], "medecin", False, True, "1"),
    ("APC", "Avis ponctuel de consultant", ["gynecologue"], "medecin", False, False, "1"),
    ("CS", "Consultation de gynécologie médicale", ["gynecologue"], "medecin", False, False, "1"),
    ("GL1", "Consultation longue du médecin traitant, patient de plus de 80 ans", ["medecin_generaliste"], "medecin", False, True, "1"),
    ("AMI", "Acte infirmier (lettre clé AMI)", ["infirmier"], "auxiliaire", False, False, "1"),
    ("AMO", "Acte d'orthophonie (lettre clé AMO, métropole)", ["orthophoniste"], "auxiliaire", False, False, "10"),
]

# code, unit price, AMO rate, valid from, source, to verify
TARIFFS = [
    ("G", "25.00", "0.70", "2017-05-01", "Convention médicale 2016", False),
    ("G", "26.50", "0.70", "2023-11-01", "Revalorisation du 1er novembre 2023", False),
    ("G", "30.00", "0.70", "2024-12-22", CONV_2024, False),
    ("GS", "30.00", "0.70", "2024-12-22", CONV_2024, False),
    ("VG", "40.00", "0.70", "2024-12-22", CONV_2024 + " (ameli, « valorisation de l'activité clinique »)", False),
    ("MEG", "5.00", "0.70", "2024-12-22", CONV_2024 + " (G + MEG = 35,00 €)", False),
    ("TCG", "26.50", "0.70", "2023-11-01", CONV_2024 + " (inchangé en 2024 ; date de début à vérifier)", True),
    ("APC", "60.00", "0.70", "2024-12-22", CONV_2024, False),
    ("CS", "32.00", "0.70", "2024-12-22", CONV_2024 + " — les sources divergent (32 → 35 € selon la presse, 37 → 40 € selon d'autres) : à vérifier", True),
    ("CS", "35.00", "0.70", "2025-07-01", CONV_2024 + " — les sources divergent (32 → 35 € selon la presse, 37 → 40 € selon d'autres) : à vérifier", True),
    ("GL1", "60.00", "0.70", "2026-01-01", CONV_2024 + " (prévu au 1er janvier 2026) : à vérifier", True),
    ("AMI", "3.15", "0.60", "2009-01-01", "NGAP, convention des infirmiers (valeur inchangée depuis 2009)", False),
    ("AMO", "2.60", "0.60", "2024-01-01", "Convention des orthophonistes (début 2024 ; 2,72 € outre-mer) — date exacte à vérifier", True),
]

PARAMETERS = [
    ("pf_amount", "1.00", "2005-01-01", "ameli.fr, « La participation forfaitaire » (1 € depuis 2005)", False),
    ("pf_amount", "2.00", "2024-05-15", "Décret du 15 mai 2024 (ameli.fr, « La participation forfaitaire »)", False),
    ("pf_day_cap", "8.00", "2005-01-01", "ameli.fr : 8 € par jour au plus", False),
    ("pf_year_cap", "50.00", "2005-01-01", "ameli.fr : 50 € par an et par personne", False),
    ("franchise_amount", "0.50", "2008-01-01", "Franchise médicale, 0,50 € par acte paramédical", False),
    ("franchise_amount", "1.00", "2024-03-31", "Franchise médicale, 1 € depuis le 31 mars 2024", False),
    ("franchise_day_cap", "4.00", "2008-01-01", "Franchise médicale : 4 € par jour au plus", False),
    ("franchise_year_cap", "50.00", "2008-01-01", "Franchise médicale : 50 € par an", False),
    ("out_of_pathway_rate", "0.30", "2009-01-01", "Hors parcours de soins coordonnés : taux AMO de 30 %", False),
]


def load(apps, schema_editor):
    Act = apps.get_model("billing", "Act")
    Tariff = apps.get_model("billing", "Tariff")
    Parameter = apps.get_model("billing", "Parameter")
    acts = {}
    for code, label, professions, kind, modifier, pathway, coef in ACTS:
        acts[code], _ = Act.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "professions": professions,
                "kind": kind,
                "is_modifier": modifier,
                "care_pathway": pathway,
                "default_coefficient": Decimal(coef),
            },
        )
    for code, price, rate, start, source, verify in TARIFFS:
        Tariff.objects.get_or_create(
            act=acts[code],
            valid_from=start,
            defaults={
                "unit_price": Decimal(price),
                "amo_rate": Decimal(rate),
                "source": source,
                "to_verify": verify,
            },
        )
    for key, value, start, source, verify in PARAMETERS:
        Parameter.objects.get_or_create(
            key=key,
            valid_from=start,
            defaults={"value": Decimal(value), "source": source, "to_verify": verify},
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

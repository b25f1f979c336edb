"""Acts for every profession of centre.models.Profession, with dated tariffs and sources.

Figures that no published text checked here confirms are loaded « à vérifier » (flagged in
the fee schedule page); the director corrects them with a new dated tariff
(billing.services.tariffs.tariff_add, journaled). Rows already present are never
overwritten.

- Child check-ups (Code de la santé publique, art. L2132-2 and R2132-1: twenty compulsory
  examinations until 16 years; the three with a health certificate — within 8 days, at
  9 months, at 24 months — are the COE of NGAP art. 14.9, created by the UNCAM decision of
  23 February 2017 from the 2016 convention: 46 €, then 54 € with the 2024 convention; the
  other compulsory examinations of the very young child by a GP, COD 35 €, convention
  2024–2029). The compulsory examinations are paid 100 % by the AMO (ameli, « Les examens de
  santé de l'enfant ») : tariff rate 1.00 and exemption `examen_enfant`.
- MCS: majoration de coordination of a specialist seen on the médecin traitant's referral,
  5 € (convention médicale 2016, kept by the 2024 convention).
- GL2, GL3: the other long consultations of the médecin traitant of the 2024 convention,
  planned from 1 January 2026 at 60 € like GL1 (to verify).
- Nurses (NGAP, infirmiers' convention): AIS key letter 2.65 €, bilans de soins infirmiers
  BSA / BSB / BSC (13.00 / 18.20 / 28.70 €, avenant 6, from 2020), home visit flat fee IFD
  2.75 €.
- Midwives (sages-femmes' convention): consultation C 25 €, key letter SF 2.80 €; AMO 70 %;
  neither PF nor franchise (CSS, art. L160-13: they apply to doctors' and auxiliaires
  médicaux' acts).
- Physiotherapists: key letter AMK (2.15 € from 1 July 2023, avenant 7 to the
  masseurs-kinésithérapeutes' convention; 2.04 € before); AMO 60 %; franchise.
- Psychologists: the « Mon soutien psy » scheme (CSS, art. L162-58): 30 € a session from
  5 April 2022 (40 € the first assessment), 50 € from 15 June 2024 (ameli, « Mon soutien psy ») ; AMO 60 % ; neither PF nor franchise. The scheme's own billing
  codes are to verify: Passerelle names them PSY1 (first session) and PSY.
- Dieticians: no scheme of the AMO pays their consultations: no act.
"""

from decimal import Decimal

from django.db import migrations

CONV_2016 = "Convention médicale 2016, arrêté du 20 octobre 2016 (JO du 23 octobre 2016)"
CONV_2024 = "Convention médicale 2024–2029, arrêté du 20 juin 2024 (JO du 21 juin 2024)"
COE_2017 = "NGAP art. 14.9, décision UNCAM du 23 février 2017 (COE, examens obligatoires avec certificat)"
NURSES = "NGAP, convention nationale des infirmiers"
MIDWIVES = "NGAP, convention nationale des sages-femmes"
PHYSIO = "Convention nationale des masseurs-kinésithérapeutes"
PSY = "Mon soutien psy (CSS, art. L162-58 ; ameli, « Mon soutien psy »)"

GP = ["medecin_generaliste"]

# code, label, professions, kind, is_modifier, care_pathway, default coefficient, exemption
ACTS = [
    ("COE", "Consultation obligatoire de l'enfant avec certificat (8 jours, 9 mois, 24 mois)", GP, "medecin", False, False, "1", "examen_enfant"),
    ("COD", "Examen obligatoire du jeune enfant sans certificat (médecin généraliste)", GP, "medecin", False, False, "1", "examen_enfant"),
    ("MCS", "Majoration de coordination du spécialiste (sur orientation du médecin traitant)", ["gynecologue"], "medecin", True, False, "1", ""),
    ("GL2", "Consultation longue du médecin traitant (2e situation de la convention 2024)", GP, "medecin", False, True, "1", ""),
    ("GL3", "Consultation longue du médecin traitant (3e situation de la convention 2024)", GP, "medecin", False, True, "1", ""),
    ("AIS", "Acte infirmier de soins (lettre clé AIS)", ["infirmier"], "auxiliaire", False, False, "3", ""),
    ("BSA", "Bilan de soins infirmiers, dépendance légère (BSA)", ["infirmier"], "auxiliaire", False, False, "1", ""),
    ("BSB", "Bilan de soins infirmiers, dépendance intermédiaire (BSB)", ["infirmier"], "auxiliaire", False, False, "1", ""),
    ("BSC", "Bilan de soins infirmiers, dépendance lourde (BSC)", ["infirmier"], "auxiliaire", False, False, "1", ""),
    ("IFD", "Indemnité forfaitaire de déplacement (infirmier·e)", ["infirmier"], "auxiliaire", True, False, "1", ""),
    ("C", "Consultation de la sage-femme", ["sage_femme"], "aucune", False, False, "1", ""),
    ("SF", "Acte de sage-femme (lettre clé SF)", ["sage_femme"], "aucune", False, False, "1", ""),
    ("AMK", "Acte de masso-kinésithérapie (lettre clé AMK)", ["kinesitherapeute"], "auxiliaire", False, False, "8", ""),
    ("PSY1", "Mon soutien psy : première séance (entretien d'évaluation) — code à vérifier", ["psychologue"], "aucune", False, False, "1", ""),
    ("PSY", "Mon soutien psy : séance de suivi — code à vérifier", ["psychologue"], "aucune", False, False, "1", ""),
]

# code, unit price, AMO rate, valid from, source, to verify
TARIFFS = [
    ("COE", "46.00", "1.00", "2017-11-01", COE_2017 + " ; date de début à vérifier", True),
    ("COE", "54.00", "1.00", "2024-12-22", CONV_2024 + " (COE 46 → 54 €) ; date à vérifier", True),
    ("COD", "35.00", "1.00", "2024-12-22", CONV_2024 + " (COD 35 €) ; date de début à vérifier", True),
    ("MCS", "5.00", "0.70", "2017-07-01", CONV_2016 + " (MCS 5 €) ; date de début à vérifier", True),
    ("GL2", "60.00", "0.70", "2026-01-01", CONV_2024 + " (prévu au 1er janvier 2026) : à vérifier", True),
    ("GL3", "60.00", "0.70", "2026-01-01", CONV_2024 + " (prévu au 1er janvier 2026) : à vérifier", True),
    ("AIS", "2.65", "0.60", "2012-01-01", NURSES + " (AIS 2,65 €) ; date de début à vérifier", True),
    ("BSA", "13.00", "0.60", "2020-01-01", NURSES + ", avenant 6 (bilans de soins infirmiers)", True),
    ("BSB", "18.20", "0.60", "2020-01-01", NURSES + ", avenant 6 (bilans de soins infirmiers)", True),
    ("BSC", "28.70", "0.60", "2020-01-01", NURSES + ", avenant 6 (bilans de soins infirmiers)", True),
    ("IFD", "2.75", "0.60", "2012-01-01", NURSES + " (IFD 2,75 €) ; date de début à vérifier", True),
    ("C", "25.00", "0.70", "2017-01-01", MIDWIVES + " (consultation 25 €) ; date de début à vérifier", True),
    ("SF", "2.80", "0.70", "2017-01-01", MIDWIVES + " (SF 2,80 €) ; date de début à vérifier", True),
    ("AMK", "2.04", "0.60", "2012-07-01", PHYSIO + " (AMK 2,04 €) ; date de début à vérifier", True),
    ("AMK", "2.15", "0.60", "2023-07-01", PHYSIO + ", avenant 7 (AMK 2,15 € au 1er juillet 2023)", True),
    ("PSY1", "40.00", "0.60", "2022-04-05", PSY + " : 40 € l'entretien d'évaluation", True),
    ("PSY1", "50.00", "0.60", "2024-06-15", PSY + " : 50 € la séance à partir du 15 juin 2024", True),
    ("PSY", "30.00", "0.60", "2022-04-05", PSY + " : 30 € la séance de suivi", True),
    ("PSY", "50.00", "0.60", "2024-06-15", PSY + " : 50 € la séance à partir du 15 juin 2024", True),
]


def load(apps, schema_editor):
    Act = apps.get_model("billing", "Act")
    Tariff = apps.get_model("billing", "Tariff")
    acts = {}
    for code, label, professions, kind, modifier, pathway, coef, exemption in ACTS:
        acts[code], _ = Act.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "professions": professions,
                "kind": kind,
                "is_modifier": modifier,
                "care_pathway": pathway,
                "default_coefficient": Decimal(coef),
                "exemption": exemption,
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


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_br_invoice_rules")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

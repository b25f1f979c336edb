"""Tariff history and corrections (issue 15, billing rules).

- TCG (GP teleconsultation) is 25.00 €, not 26.50 €: teleconsultation was brought into the
  convention by avenant 6 to the 2016 medical convention (arrêté du 1er août 2018, JO du
  10 août 2018), from 15 September 2018 at the value of the consultation (25 €); neither the
  règlement arbitral of 2023 nor the 2024 convention raised it (ameli, « Téléconsultation »;
  convention médicale 2024–2029).
- G / GS / VG: 25.00 € from 1 May 2017 (convention médicale 2016, arrêté du 20 octobre 2016,
  JO du 23 octobre 2016); 26.50 € from 1 November 2023 (règlement arbitral, arrêté du
  28 avril 2023, JO du 30 avril 2023); 30.00 € from 22 December 2024 (convention médicale
  2024–2029, arrêté du 20 juin 2024, JO du 21 juin 2024). VG is the visit alone: the home
  visit majoration MD (10 €) is its own line, added only when the visit is justified.
- MEG 5.00 € since 1 May 2017 (convention 2016), unchanged by the 2024 convention.
- APC and CS before 22 December 2024 (values marked « à vérifier » where no published text
  was checked).
- Franchise médicale daily cap: 2 € before 31 March 2024, 4 € from that date (décret
  n° 2024-114 du 16 février 2024, JO du 17 février 2024).
- Speech therapy key letter AMO: 2.60 € from 26 January 2024 (avenant to the speech
  therapists' national convention; ameli, « Orthophonistes : convention et tarifs »), 2.50 €
  before.

Rows already edited by the director are never overwritten: a row is only corrected when it
still carries the value the 0002 migration loaded.
"""

from decimal import Decimal

from django.db import migrations

CONV_2016 = "Convention médicale 2016, arrêté du 20 octobre 2016 (JO du 23 octobre 2016)"
RA_2023 = "Règlement arbitral, arrêté du 28 avril 2023 (JO du 30 avril 2023)"
CONV_2024 = "Convention médicale 2024–2029, arrêté du 20 juin 2024 (JO du 21 juin 2024)"
TCG_SOURCE = (
    "Avenant 6 à la convention médicale 2016 (arrêté du 1er août 2018, JO du 10 août 2018) : "
    "téléconsultation au tarif de la consultation (25 €) ; inchangée par le règlement "
    "arbitral de 2023 et la convention 2024 (ameli, « Téléconsultation »)"
)
ORTHO = (
    "Convention nationale des orthophonistes, avenant de revalorisation de la lettre clé AMO "
    "(ameli, « Orthophonistes : convention et tarifs »)"
)

NEW_ACTS = [
    # code, label, professions, kind, is_modifier, care_pathway, default coefficient
    ("MD", "Majoration de déplacement (visite à domicile justifiée)", ["medecin_generaliste"], "medecin", True, False, "1"),
]

# code, unit price, AMO rate, valid from, source, to verify
TARIFFS = [
    ("TCG", "25.00", "0.70", "2018-09-15", TCG_SOURCE, False),
    ("GS", "25.00", "0.70", "2017-05-01", CONV_2016, False),
    ("GS", "26.50", "0.70", "2023-11-01", RA_2023, False),
    ("VG", "25.00", "0.70", "2017-05-01", CONV_2016, False),
    ("VG", "26.50", "0.70", "2023-11-01", RA_2023, False),
    ("MD", "10.00", "0.70", "2017-05-01", CONV_2016 + " (MD 10 €, maintenue par la convention 2024)", False),
    ("MEG", "5.00", "0.70", "2017-05-01", CONV_2016 + " (MEG créée le 1er mai 2017)", False),
    ("APC", "50.00", "0.70", "2017-10-01", CONV_2016 + " (APC créé le 1er octobre 2017)", False),
    ("APC", "55.00", "0.70", "2023-11-01", RA_2023 + " : à vérifier", True),
    ("CS", "28.50", "0.70", "2023-01-01", "Convention médicale 2016 (CS des gynécologues médicaux avec majorations) : à vérifier", True),
    ("AMO", "2.50", "0.60", "2018-07-01", ORTHO + " : valeur avant le 26 janvier 2024, date de début à vérifier", True),
]

PARAMETERS = [
    ("franchise_day_cap", "4.00", "2024-03-31", "Décret n° 2024-114 du 16 février 2024 (JO du 17 février 2024) : 4 € par jour à partir du 31 mars 2024", False),
]


def load(apps, schema_editor):
    Act = apps.get_model("billing", "Act")
    Tariff = apps.get_model("billing", "Tariff")
    Parameter = apps.get_model("billing", "Parameter")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")

    for code, label, professions, kind, modifier, pathway, coef in NEW_ACTS:
        Act.objects.get_or_create(
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
    Act.objects.filter(code="VG", label="Visite à domicile de médecine générale (G + MD)").update(
        label="Visite à domicile de médecine générale (VG ; MD en plus si justifiée)"
    )

    # TCG was loaded at 26.50 € from 2023-11-01: wrong. Remove the row when no invoice line
    # points at it, else correct it in place (invoice lines keep their frozen price).
    wrong_tcg = Tariff.objects.filter(act__code="TCG", valid_from="2023-11-01", unit_price=Decimal("26.50"))
    for row in wrong_tcg:
        if InvoiceLine.objects.filter(tariff=row).exists():
            row.unit_price = Decimal("25.00")
            row.source = TCG_SOURCE
            row.to_verify = False
            row.save(update_fields=["unit_price", "source", "to_verify"])
        else:
            row.delete()
    # VG was loaded at 40.00 € (VG + MD as one act) from 2024-12-22: VG alone is 30.00 €.
    Tariff.objects.filter(act__code="VG", valid_from="2024-12-22", unit_price=Decimal("40.00")).update(
        unit_price=Decimal("30.00"),
        source=CONV_2024 + " : VG = G (30 €) ; MD (10 €) en plus, ligne à part, si la visite est justifiée",
    )
    # G 26.50 € from 2023-11-01: name the text.
    Tariff.objects.filter(act__code="G", valid_from="2023-11-01", source="Revalorisation du 1er novembre 2023").update(source=RA_2023)
    Tariff.objects.filter(act__code="G", valid_from="2017-05-01", source="Convention médicale 2016").update(source=CONV_2016)
    # The speech therapy letter changed on 2024-01-26, not 2024-01-01.
    Tariff.objects.filter(act__code="AMO", valid_from="2024-01-01", unit_price=Decimal("2.60")).update(
        valid_from="2024-01-26", source=ORTHO + " : 2,60 € à partir du 26 janvier 2024 (2,72 € outre-mer)", to_verify=False
    )
    Parameter.objects.filter(
        key="out_of_pathway_rate", source="Hors parcours de soins coordonnés : taux AMO de 30 %"
    ).update(source="CSS, art. L162-5-3 et R322-1-1 : taux AMO de 30 % hors parcours de soins coordonnés")
    # The franchise daily cap was 2 € before 2024-03-31.
    Parameter.objects.filter(key="franchise_day_cap", valid_from="2008-01-01", value=Decimal("4.00")).update(
        value=Decimal("2.00"), source="Franchise médicale (CSS, art. L160-13 III) : 2 € par jour avant le 31 mars 2024"
    )

    acts = {a.code: a for a in Act.objects.all()}
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
    dependencies = [("billing", "0003_versions_and_async_returns")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""Import of patients and future appointments from another tool (patients/services/imports.py):
mapping, dry run reporting every line's problems in French, duplicates, all or nothing,
journal; the page and the command."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from appointments.models import Appointment
from centre.models import AuditEntry, Site, User
from centre.refusals import Forbidden
from patients.models import Coverage, CoverageKind, Patient
from patients.services import imports
from tests.appointments.factories import ConsultationTypeFactory, open_plages
from tests.factories import make_staff
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
HEADER = (
    "Nom;Prénom;Sexe;Date de naissance;N° SS;Portable;Début AMO;Caisse;Fin C2S;Médecin traitant"
)


def table(*lines: str, header: str = HEADER) -> imports.Table:
    return imports.read_table("\n".join([header, *lines]).encode(), "export.csv")


def run(
    by: User,
    data: imports.Table,
    *,
    dry_run: bool,
    kind: imports.ImportKind = "patients",
    **kw: Any,
) -> imports.ImportReport:
    mapping = imports.guess_mapping(kind, data.headers)
    return imports.import_run(by=by, kind=kind, table=data, mapping=mapping, dry_run=dry_run, **kw)


def sample_patients() -> imports.Table:
    return imports.read_table((SAMPLES / "import_patients.csv").read_bytes(), "import_patients.csv")


def test_the_mapping_is_guessed_from_the_sample_headers() -> None:
    data = sample_patients()
    assert imports.guess_mapping("patients", data.headers) == {
        "last_name": "Nom",
        "birth_name": "Nom de naissance",
        "first_name": "Prénom",
        "sex": "Sexe",
        "birth_date": "Date de naissance",
        "nir": "N° SS",
        "phone": "Portable",
        "email": "Email",
        "address": "Adresse",
        "postal_code": "CP",
        "city": "Ville",
        "language": "Langue",
        "amo_start": "Début AMO",
        "amo_end": "Fin AMO",
        "scheme_code": "Régime",
        "caisse_code": "Caisse",
        "amc_name": "Mutuelle",
        "amc_contract": "N° adhérent",
        "c2s_end": "Fin C2S",
        "ame_end": "Fin AME",
        "doctor_name": "Médecin traitant",
    }


def test_a_missing_required_column_is_refused_before_reading_lines(
    staff: dict[str, User],
) -> None:
    data = table("Dupont;Marie;F;12/03/1984;;;;;;", header=HEADER)
    with pytest.raises(imports.ImportError_) as refused:
        imports.import_run(
            by=staff["direction"],
            kind="patients",
            table=data,
            mapping={"last_name": "Nom"},
            dry_run=True,
        )
    assert refused.value.errors["mapping"] == [
        "Indiquez la colonne « Prénom(s) » (obligatoire).",
        "Indiquez la colonne « Sexe » (obligatoire).",
        "Indiquez la colonne « Date de naissance » (obligatoire).",
    ]


def test_only_the_direction_imports(staff: dict[str, User]) -> None:
    with pytest.raises(Forbidden):
        run(staff["accueil"], sample_patients(), dry_run=True)


def test_the_dry_run_of_the_sample_writes_nothing(staff: dict[str, User]) -> None:
    report = run(staff["direction"], sample_patients(), dry_run=True)
    assert [(line.number, line.problems, line.outcome) for line in report.lines] == [
        (2, [], "dossier à créer"),
        (3, [], "dossier à créer"),
        (4, [], "dossier à créer"),
        (5, [], "dossier à créer"),
    ]
    assert not report.committed and report.created == 4
    assert Patient.objects.count() == 0 and Coverage.objects.count() == 0
    assert not AuditEntry.objects.filter(action__in=["patient.create", "patient.import"]).exists()


def test_the_real_run_of_the_sample_imports_identity_contact_rights_and_doctor(
    staff: dict[str, User],
) -> None:
    report = run(staff["direction"], sample_patients(), dry_run=False, filename="export.csv")
    assert report.committed and report.created == 4
    emilie = Patient.objects.get(last_name="BELKACEM")
    assert (emilie.nir, emilie.phone, emilie.birth_date) == (
        "287067511234591",
        "+33612345678",
        datetime.date(1987, 6, 21),
    )
    assert Patient.objects.get(last_name="Diallo").language == "wo"
    # Rights, counted by hand from the sample: BELKACEM AMO + médecin traitant (2), Nguyễn
    # AME (1), Diallo AMO + C2S + médecin traitant (3), Sivakumar mutuelle (1).
    kinds = sorted(Coverage.objects.values_list("patient__last_name", "kind"))
    assert kinds == sorted(
        [
            ("BELKACEM", CoverageKind.AMO),
            ("BELKACEM", CoverageKind.MEDECIN_TRAITANT),
            ("Nguyễn", CoverageKind.AME),
            ("Diallo", CoverageKind.AMO),
            ("Diallo", CoverageKind.C2S),
            ("Diallo", CoverageKind.MEDECIN_TRAITANT),
            ("Sivakumar", CoverageKind.AMC),
        ]
    )
    doctor = Coverage.objects.get(patient=emilie, kind=CoverageKind.MEDECIN_TRAITANT)
    assert doctor.doctor_name == "Dr Claire Moreau"
    # Journal: each record by its service, the import once, in the same transaction.
    assert AuditEntry.objects.filter(action="patient.create").count() == 4
    entry = AuditEntry.objects.get(action="patient.import")
    assert entry.actor == staff["direction"]
    assert entry.extra["filename"] == "export.csv" and entry.extra["lines"] == 4
    assert sorted(entry.extra["created_ids"]) == sorted(
        Patient.objects.values_list("pk", flat=True)
    )


def test_every_problem_of_every_line_is_reported_in_french(staff: dict[str, User]) -> None:
    data = table(
        "Dupont;Marie;F;12/03/1984;;;;;;",  # fine
        ";Paul;X;31/02/1990;;;;;;",  # no name, sex X, 31 February
        "Martin;Léa;F;1990-05-04;2 87 06 75 112 345 92;06 00;;;;",  # NIR key, phone
        "Durand;Jean;M;04/05/1990;;;bientôt;;;",  # AMO start unreadable
    )
    report = run(staff["direction"], data, dry_run=True)
    assert [(line.number, line.problems) for line in report.lines] == [
        (2, []),
        (
            3,
            [
                "Nom d'usage : manquant.",
                "Sexe : « X » n'est ni F ni M.",
                "Date de naissance : « 31/02/1990 » n'est pas une date (jj/mm/aaaa).",
            ],
        ),
        (
            4,
            [
                "Téléphone : Ce numéro de téléphone n'existe pas : vérifiez le nombre de chiffres.",
                "NIR : La clé du NIR ne correspond pas : vérifiez le numéro.",
            ],
        ),
        (5, ["Début des droits AMO : « bientôt » n'est pas une date (jj/mm/aaaa)."]),
    ]


def test_one_bad_line_in_the_real_run_imports_nothing(staff: dict[str, User]) -> None:
    data = table(
        "Dupont;Marie;F;12/03/1984;;;01/01/2024;861;;oui",
        "Durand;Jean;M;04/05/1990;;;;;;",
        "Martin;Léa;F;31/02/1990;;;;;;",
    )
    report = run(staff["direction"], data, dry_run=False)
    assert not report.committed
    assert [line.number for line in report.problem_lines] == [4]
    assert Patient.objects.count() == 0 and Coverage.objects.count() == 0
    assert not AuditEntry.objects.filter(
        action__in=["patient.create", "coverage.add", "patient.import"]
    ).exists()
    fixed = table(
        "Dupont;Marie;F;12/03/1984;;;01/01/2024;861;;oui",
        "Durand;Jean;M;04/05/1990;;;;;;",
        "Martin;Léa;F;28/02/1990;;;;;;",
    )
    assert run(staff["direction"], fixed, dry_run=False).committed
    assert Patient.objects.count() == 3 and Coverage.objects.count() == 2


def test_a_line_like_an_existing_record_needs_a_decision(staff: dict[str, User]) -> None:
    existing = cast(
        Patient,
        PatientFactory(
            last_name="BELKACEM", first_name="Émilie", birth_date=datetime.date(1987, 6, 21)
        ),
    )
    data = table("Belkasem;Emilie;F;21/06/1987;;;;;;")
    report = run(staff["direction"], data, dry_run=False)
    assert not report.committed
    (line,) = report.lines
    assert line.problems == [
        f"Doublon possible avec le dossier n° {existing.pk} (BELKACEM Émilie, 21/06/1987) : "
        "choisissez d'utiliser ce dossier ou de créer un nouveau dossier."
    ]
    assert [c["id"] for c in line.candidates] == [existing.pk]
    # The candidate shown is journaled, as at intake.
    shown = AuditEntry.objects.get(action="patient.duplicate_candidates")
    assert [int(i) for i in shown.extra["ids"]] == [existing.pk]

    linked = run(staff["direction"], data, dry_run=False, decisions={2: existing.pk})
    assert linked.committed
    assert linked.lines[0].outcome == f"dossier n° {existing.pk} utilisé (rien n'y est modifié)"
    assert Patient.objects.count() == 1

    created = run(staff["direction"], data, dry_run=False, decisions={2: "new"})
    assert created.committed and Patient.objects.count() == 2
    dismissed = AuditEntry.objects.get(action="patient.duplicates_dismissed")
    assert dismissed.extra == {"candidates": [existing.pk]}


def test_the_same_person_twice_in_the_file_is_reported(staff: dict[str, User]) -> None:
    data = table("Mohamed;Aïcha;F;21/06/1987;;;;;;", "Muhammad;Aisha;F;21/06/1987;;;;;;")
    report = run(staff["direction"], data, dry_run=True)
    assert report.lines[0].ok
    assert report.lines[1].problems == [
        "Doublon possible avec la ligne 2 du fichier : choisissez d'utiliser ce dossier ou de "
        "créer un nouveau dossier."
    ]
    # Nothing of the rolled-back run is journaled as shown.
    assert not AuditEntry.objects.filter(action="patient.duplicate_candidates").exists()


def test_an_xlsx_export_with_date_cells(staff: dict[str, User]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NOM", "PRENOM", "SEXE", "DATE DE NAISSANCE", "TELEPHONE"])
    sheet.append(["Özdemir", "Ayşe", "F", datetime.datetime(1975, 1, 30), "0612345678"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = imports.read_table(buffer.getvalue(), "export.xlsx")
    assert data.rows == [["Özdemir", "Ayşe", "F", "30/01/1975", "0612345678"]]
    assert run(staff["direction"], data, dry_run=False).committed
    assert Patient.objects.get().birth_date == datetime.date(1975, 1, 30)


def test_an_unreadable_or_empty_file_is_refused() -> None:
    with pytest.raises(imports.ImportError_, match="vide"):
        imports.read_table(b"\n\n", "x.csv")
    with pytest.raises(imports.ImportError_, match="aucune donnée"):
        imports.read_table(b"Nom;Prenom\n", "x.csv")
    with pytest.raises(imports.ImportError_, match="XLSX est illisible"):
        imports.read_table(b"not a workbook", "x.xlsx")


def test_a_windows_1252_csv_with_commas() -> None:
    content = "Nom,Prénom,Sexe,Date de naissance\nLefèvre,Hélène,F,01/02/1960\n".encode("cp1252")
    assert imports.read_table(content, "x.csv").rows == [["Lefèvre", "Hélène", "F", "01/02/1960"]]


# ---------------------------------------------------------------------------------------
# Appointments


def _next_monday(weeks: int = 2) -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=(7 - today.weekday()) + 7 * (weeks - 1))


@pytest.fixture
def agenda(site: Site) -> dict[str, object]:
    doctor = make_staff(
        "soignant", centre=site.centre, sites=[site], first_name="Claire", last_name="Moreau"
    ).profile
    open_plages(doctor, site)
    motif = ConsultationTypeFactory()
    emilie = cast(
        Patient,
        PatientFactory(
            last_name="BELKACEM", first_name="Émilie", birth_date=datetime.date(1987, 6, 21)
        ),
    )
    return {"doctor": doctor, "motif": motif, "patient": emilie}


APPT_HEADER = "Nom;Prénom;Date de naissance;Date RDV;Heure;Praticien;Motif;Site;Interprète"
MOTIF = "Consultation de médecine générale"


def appt(
    day: str,
    time: str,
    *,
    who: str = "Dr Claire Moreau",
    name: str = "BELKACEM;Émilie;21/06/1987",
    motif: str = MOTIF,
    site: str = "Site principal",
    interpreter: str = "",
) -> str:
    return ";".join([name, day, time, who, motif, site, interpreter])


def appointments_table(*lines: str) -> imports.Table:
    return table(*lines, header=APPT_HEADER)


def test_future_appointments_are_booked_through_the_booking_rules(
    staff: dict[str, User], agenda: dict[str, object]
) -> None:
    day = f"{_next_monday():%d/%m/%Y}"
    data = appointments_table(
        appt(day, "09:00", name="Belkasem;Emilie;21/06/1987"),
        appt(
            day,
            "10:00",
            who="MOREAU",
            motif=MOTIF.lower(),
            site="site principal",
            interpreter="wolof",
        ),
    )
    dry = run(staff["direction"], data, dry_run=True, kind="appointments")
    assert [line.problems for line in dry.lines] == [[], []] and dry.booked == 2
    assert not Appointment.objects.exists()
    report = run(staff["direction"], data, dry_run=False, kind="appointments")
    assert report.committed and report.booked == 2
    booked = list(Appointment.objects.order_by("start"))
    assert [
        (a.patient_id, a.start.astimezone(timezone.get_current_timezone()).hour) for a in booked
    ] == [
        (agenda["patient"].pk, 9),  # type: ignore[attr-defined]
        (agenda["patient"].pk, 10),  # type: ignore[attr-defined]
    ]
    assert booked[1].interpreter_language == "wo"
    assert AuditEntry.objects.filter(action="appointment.book").count() == 2
    assert AuditEntry.objects.get(action="patient.import").extra["appointments"] == 2


def test_appointment_lines_problems_and_all_or_nothing(
    staff: dict[str, User], agenda: dict[str, object]
) -> None:
    day = f"{_next_monday():%d/%m/%Y}"
    sunday = f"{_next_monday() - datetime.timedelta(days=1):%d/%m/%Y}"
    data = appointments_table(
        appt(day, "09:00"),
        appt(day, "09:00"),
        appt("04/01/2021", "09:00"),
        appt(day, "11:00", name="Inconnu;Paul;01/01/1950"),
        appt(day, "11:00", who="Dr House", motif="Radio", site="Lune"),
        appt(sunday, "09:00"),
    )
    report = run(staff["direction"], data, dry_run=False, kind="appointments")
    assert not report.committed and not Appointment.objects.exists()
    problems = {line.number: line.problems for line in report.lines}
    assert problems[2] == []
    assert problems[3] == ["Créneau : Ce créneau vient d'être pris : choisissez-en un autre."]
    assert problems[4] == [
        "Rendez-vous passé (04/01/2021 09:00) : seuls les rendez-vous à venir sont repris."
    ]
    assert problems[5] == [
        "Aucun dossier ne correspond à cette personne : importez d'abord les patient·e·s."
    ]
    assert problems[6] == [
        "Praticien·ne : « Dr House » n'est pas un·e soignant·e du centre.",
        "Motif : « Radio » n'est pas un motif de Passerelle.",
        "Site : « Lune » n'est pas un site du centre.",
    ]
    assert len(problems[7]) == 1 and problems[7][0].startswith("Créneau : Rendez-vous refusé")
    # The Sunday, outside the plages, is taken with a forcing reason.
    forced = run(
        staff["direction"],
        appointments_table(appt(sunday, "09:00")),
        dry_run=False,
        kind="appointments",
        force_reason="Reprise de l'ancien agenda",
    )
    assert forced.committed
    assert Appointment.objects.get().forced_reason == "Reprise de l'ancien agenda"


# ---------------------------------------------------------------------------------------
# The doors


def test_the_page_upload_dry_run_then_import(client_for: ClientFor) -> None:
    client = client_for("direction")
    content = (SAMPLES / "import_patients.csv").read_bytes()
    upload = io.BytesIO(content)
    upload.name = "import_patients.csv"
    response = client.post(reverse("patients:import"), {"kind": "patients", "file": upload})
    assert response.status_code == 302
    review_url = response["Location"]
    # What waits in Redis is sealed: a copy of the cache alone reads no name from the file.
    token = review_url.rstrip("/").rsplit("/", 1)[-1]
    from django.core.cache import cache

    sealed = cache.get(f"patients:import:{token}")
    assert isinstance(sealed, bytes) and content.splitlines()[1][:20] not in sealed
    page = client.get(review_url)
    assert page.status_code == 200
    assert page.context["form"]["map_last_name"].value() == "Nom"
    mapping = {
        f"map_{key}": header
        for key, header in imports.guess_mapping(
            "patients", imports.read_table(content, "x.csv").headers
        ).items()
    }
    dry = client.post(review_url, {**mapping, "action": "dry_run"})
    assert "Essai à blanc : aucune erreur" in dry.content.decode()
    assert Patient.objects.count() == 0
    done = client.post(review_url, {**mapping, "action": "run"})
    assert "Import terminé" in done.content.decode()
    assert Patient.objects.count() == 4
    # The file is dropped once imported.
    assert client.get(review_url).status_code == 302


def test_the_page_asks_for_a_decision_on_a_duplicate(client_for: ClientFor) -> None:
    existing = cast(
        Patient,
        PatientFactory(
            last_name="BELKACEM", first_name="Émilie", birth_date=datetime.date(1987, 6, 21)
        ),
    )
    client = client_for("direction")
    upload = io.BytesIO(b"Nom;Prenom;Sexe;Date de naissance\nBelkasem;Emilie;F;21/06/1987\n")
    upload.name = "x.csv"
    review_url = client.post(reverse("patients:import"), {"kind": "patients", "file": upload})[
        "Location"
    ]
    mapping = {
        "map_last_name": "Nom",
        "map_first_name": "Prenom",
        "map_sex": "Sexe",
        "map_birth_date": "Date de naissance",
    }
    dry = client.post(review_url, {**mapping, "action": "dry_run"})
    html = dry.content.decode()
    assert "Doublon possible avec le dossier" in html and 'name="decision_2"' in html
    done = client.post(review_url, {**mapping, "decision_2": str(existing.pk), "action": "run"})
    assert "Import terminé" in done.content.decode()
    assert Patient.objects.count() == 1


def test_another_director_cannot_use_the_uploaded_file(
    client_for: ClientFor, staff: dict[str, User], centre: object, site: Site
) -> None:
    upload = io.BytesIO(b"Nom;Prenom;Sexe;Date de naissance\nDupont;Marie;F;12/03/1984\n")
    upload.name = "x.csv"
    review_url = client_for("direction").post(
        reverse("patients:import"), {"kind": "patients", "file": upload}
    )["Location"]
    other = Client()
    other.force_login(
        make_staff("direction", centre=site.centre, sites=[site]),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    assert other.get(review_url).status_code == 302


def test_the_command_dry_run_and_commit(staff: dict[str, User]) -> None:
    path = str(SAMPLES / "import_patients.csv")
    out = io.StringIO()
    call_command("import_patients", path, "--by", staff["direction"].email, stdout=out)
    assert "Essai à blanc sans erreur : 4 à créer" in out.getvalue()
    assert Patient.objects.count() == 0
    call_command("import_patients", path, "--by", staff["direction"].email, "--commit", stdout=out)
    assert Patient.objects.count() == 4
    with pytest.raises(CommandError, match="4 ligne"):
        call_command(
            "import_patients", path, "--by", staff["direction"].email, "--commit", stdout=out
        )


def test_the_page_imports_appointments_with_a_forcing_reason(
    client_for: ClientFor, agenda: dict[str, object]
) -> None:
    sunday = f"{_next_monday() - datetime.timedelta(days=1):%d/%m/%Y}"
    client = client_for("direction")
    upload = io.BytesIO("\n".join([APPT_HEADER, appt(sunday, "09:00")]).encode())
    upload.name = "rdv.csv"
    review_url = client.post(reverse("patients:import"), {"kind": "appointments", "file": upload})[
        "Location"
    ]
    page = client.get(review_url)
    assert 'name="force_reason"' in page.content.decode()
    mapping = {
        f"map_{key}": header
        for key, header in imports.guess_mapping("appointments", APPT_HEADER.split(";")).items()
    }
    refused = client.post(review_url, {**mapping, "action": "run"})
    html = refused.content.decode()
    assert "Import refusé" in html
    assert "Rendez-vous refusé" in html and not Appointment.objects.exists()
    done = client.post(
        review_url, {**mapping, "force_reason": "Reprise de l'ancien agenda", "action": "run"}
    )
    assert "1 rendez-vous pris" in done.content.decode()
    assert Appointment.objects.get().forced_reason == "Reprise de l'ancien agenda"


def test_too_long_values_and_rights_already_ended(staff: dict[str, User]) -> None:
    header = "Nom;Prénom;Sexe;Date de naissance;Fin AMO;Caisse;Email"
    data = table(
        f"{'X' * 101};Marie;F;12/03/1984;;CPAM 86;marie@",
        "Dupont;Marie;F;12/03/1984;31/12/2020;861;marie@example.org",
        header=header,
    )
    report = run(staff["direction"], data, dry_run=False)
    assert report.lines[0].problems == [
        "E-mail : « marie@ » n'est pas une adresse.",
        "Nom d'usage : 101 caractères, 100 au plus.",
        "Code caisse : 7 caractères, 3 au plus.",
    ]
    fixed = table("Dupont;Marie;F;12/03/1984;31/12/2020;861;marie@example.org", header=header)
    assert run(staff["direction"], fixed, dry_run=False).committed
    amo = Coverage.objects.get()
    assert (amo.start, amo.end) == (datetime.date(2020, 12, 31), datetime.date(2020, 12, 31))

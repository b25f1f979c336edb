"""Import of patients and of future appointments from another tool's export (CSV or XLSX).

One door for the page (`patients:import_*`) and the command (`manage.py import_patients`):

1. `read_table` reads the file (CSV with `;`, `,` or tab, UTF-8 or Windows-1252; or the
   first sheet of an XLSX workbook), `guess_mapping` proposes which column holds what from
   the headers, the director corrects it.
2. `import_run(dry_run=True)` runs the whole import line by line through the services that
   register a person (`identity.patient_register`, with their rights) or book an appointment
   (the appointments app's importer, `hooks.appointment_importer`), each line in a savepoint,
   and rolls everything back: the report says every line's problems in French, and which
   lines look like existing records (the same duplicate rule as the intake form).
3. `import_run(dry_run=False)` does the same and keeps it only if no line has a problem:
   all or nothing. Every record written is journaled by its service, plus one
   `patient.import` entry naming the file and the records created, in the same transaction.

A line that looks like an existing record needs a decision (`decisions[line]`): "new" (it is
another person: registered, the dismissal journaled as at intake) or the id of the record to
use (nothing is written for that line, its appointments go to that record).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Forbidden, Refusal
from patients import hooks, perms, selectors
from patients.models import Coverage, CoverageKind, Patient
from patients.services import identity
from patients.services.identity import PatientError

ImportKind = Literal["patients", "appointments"]
KINDS: dict[str, str] = {"patients": "Patient·e·s", "appointments": "Rendez-vous à venir"}
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
Decision = int | Literal["new"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


PATIENT_COLUMNS: tuple[Column, ...] = (
    Column("last_name", "Nom d'usage", ("nom", "nom usage", "nom patient", "last name"), True),
    Column("birth_name", "Nom de naissance", ("nom naissance", "nom de jeune fille")),
    Column("first_name", "Prénom(s)", ("prenom", "prenoms", "first name"), True),
    Column("sex", "Sexe", ("sexe", "genre", "civilite", "sex"), True),
    Column(
        "birth_date", "Date de naissance", ("date naissance", "ne le", "ddn", "naissance"), True
    ),
    Column("nir", "NIR", ("nir", "n ss", "numero securite sociale", "num secu", "insee", "secu")),
    Column("phone", "Téléphone", ("telephone", "tel", "portable", "mobile", "tel portable")),
    Column("phone_alt", "Autre téléphone", ("telephone 2", "tel fixe", "fixe", "autre telephone")),
    Column("email", "E-mail", ("email", "mail", "courriel", "adresse mail")),
    Column("address", "Adresse", ("adresse", "rue", "voie")),
    Column("postal_code", "Code postal", ("code postal", "cp")),
    Column("city", "Commune", ("ville", "commune")),
    Column("language", "Langue", ("langue", "langue parlee")),
    Column("amo_start", "Début des droits AMO", ("debut amo", "droits amo du", "amo debut")),
    Column("amo_end", "Fin des droits AMO", ("fin amo", "droits amo au", "amo fin")),
    Column("scheme_code", "Code régime", ("regime", "code regime")),
    Column("caisse_code", "Code caisse", ("caisse", "code caisse")),
    Column("amc_name", "Complémentaire (mutuelle)", ("mutuelle", "complementaire", "amc")),
    Column("amc_number", "N° d'organisme complémentaire", ("numero mutuelle", "n amc")),
    Column("amc_contract", "N° de contrat complémentaire", ("contrat", "n adherent")),
    Column("amc_end", "Fin de la complémentaire", ("fin mutuelle", "fin amc")),
    Column("c2s_end", "Fin de la C2S", ("fin c2s", "c2s fin", "c2s jusqu au", "css")),
    Column("ame_end", "Fin de l'AME", ("fin ame", "ame fin", "ame jusqu au")),
    Column("doctor_name", "Médecin traitant", ("medecin traitant", "mt", "medecin")),
)
APPOINTMENT_COLUMNS: tuple[Column, ...] = (
    Column("nir", "NIR", ("nir", "n ss", "numero securite sociale", "num secu")),
    Column("last_name", "Nom", ("nom", "nom patient", "patient"), True),
    Column("first_name", "Prénom", ("prenom", "prenom patient"), True),
    Column("birth_date", "Date de naissance", ("date naissance", "ddn", "naissance"), True),
    Column("date", "Date du rendez-vous", ("date", "date rdv", "jour", "date rendez vous"), True),
    Column("time", "Heure", ("heure", "heure rdv", "debut", "horaire"), True),
    Column("duration", "Durée (minutes)", ("duree", "duree min", "minutes")),
    Column("practitioner", "Praticien·ne", ("praticien", "soignant", "medecin", "agenda"), True),
    Column("consultation_type", "Motif", ("motif", "type", "type consultation", "acte"), True),
    Column("site", "Site", ("site", "lieu", "cabinet"), True),
    Column("interpreter_language", "Interprète (langue)", ("interprete", "langue interprete")),
    Column("note", "Remarque", ("remarque", "commentaire", "note")),
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "patients": PATIENT_COLUMNS,
    "appointments": APPOINTMENT_COLUMNS,
}


class ImportError_(PatientError):
    """The file or the mapping cannot be used (nothing is read further)."""


# ---------------------------------------------------------------------------------------
# Reading the file


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]  # each row as many cells as headers; line i is file line i + 2


def read_table(content: bytes, filename: str) -> Table:
    """The header row and data rows of a CSV or XLSX export, cells as text (dates of an XLSX
    as `jj/mm/aaaa`, times as `hh:mm`). Refusal with a French message when unreadable."""
    if len(content) > MAX_BYTES:
        raise ImportError_(f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo.", field="file")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raw = _read_xlsx(content)
    else:
        raw = _read_csv(content)
    raw = [row for row in raw if any(cell.strip() for cell in row)]
    if not raw:
        raise ImportError_("Le fichier est vide.", field="file")
    headers = [" ".join(h.split()) for h in raw[0]]
    if len(raw) == 1:
        raise ImportError_("Le fichier n'a qu'une ligne d'en-têtes, aucune donnée.", field="file")
    if len(raw) - 1 > MAX_ROWS:
        raise ImportError_(
            f"Le fichier compte {len(raw) - 1} lignes : {MAX_ROWS} au plus par import.",
            field="file",
        )
    width = len(headers)
    rows = [(row + [""] * width)[:width] for row in raw[1:]]
    return Table(headers=headers, rows=rows)


def _read_csv(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's « CSV (séparateur ;) »
    sample = text[:4096]
    delimiter = max(";,\t", key=sample.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # any unreadable workbook is the same refusal
        raise ImportError_(
            "Ce fichier XLSX est illisible : enregistrez-le à nouveau depuis le tableur.",
            field="file",
        ) from None
    sheet = workbook.worksheets[0]
    rows = [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return f"{value:%d/%m/%Y}"
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plain_text(text: str) -> str:
    """`N° de Sécurité-Sociale` → `n de securite sociale` (header comparison)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(w for w in letters.split() if w not in {"de", "du", "des", "d", "l", "la"})


def guess_mapping(kind: ImportKind, headers: Sequence[str]) -> dict[str, str]:
    """For each column of Passerelle, the header of the file that seems to hold it (exact
    label or a known alias, accents and case ignored); each header used once."""
    plain = {plain_text(h): h for h in headers if h}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for column in COLUMNS[kind]:
        for candidate in (
            plain_text(column.label),
            plain_text(column.key),
            *map(plain_text, column.aliases),
        ):
            header = plain.get(candidate)
            if header and header not in used:
                mapping[column.key] = header
                used.add(header)
                break
    return mapping


def check_mapping(kind: ImportKind, headers: Sequence[str], mapping: Mapping[str, str]) -> None:
    known = {c.key: c for c in COLUMNS[kind]}
    errors: list[str] = []
    for key, header in mapping.items():
        if key not in known:
            errors.append(f"Colonne inconnue de Passerelle : « {key} ».")
        elif header and header not in headers:
            errors.append(f"« {header} » n'est pas une colonne du fichier.")
    chosen = [h for h in mapping.values() if h]
    for header in sorted({h for h in chosen if chosen.count(h) > 1}):
        errors.append(f"La colonne « {header} » est choisie pour plusieurs champs.")
    for column in COLUMNS[kind]:
        if column.required and not mapping.get(column.key):
            errors.append(f"Indiquez la colonne « {column.label} » (obligatoire).")
    if errors:
        raise ImportError_({"mapping": errors})


# ---------------------------------------------------------------------------------------
# Reading one line


_DATE_FR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")
_TIME = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})?$")
SEXES = {
    "f": "F", "femme": "F", "feminin": "F", "2": "F", "mme": "F", "madame": "F", "mlle": "F",
    "m": "M", "h": "M", "homme": "M", "masculin": "M", "1": "M", "m.": "M", "monsieur": "M",
}  # fmt: skip
YES = {"oui", "o", "yes", "y", "1", "x", "vrai", "true"}
NO = {"non", "n", "no", "0", "faux", "false", ""}


def parse_date(text: str, label: str, problems: list[str]) -> datetime.date | None:
    value = text.strip()
    if not value:
        return None
    match = _DATE_FR.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            if year < 100:
                # Two-digit years (old exports): 00–29 are 2000s, 30–99 the 1900s.
                year += 2000 if year < 30 else 1900
            return datetime.date(year, month, day)
        if match := _DATE_ISO.match(value):
            return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        pass
    problems.append(f"{label} : « {value} » n'est pas une date (jj/mm/aaaa).")
    return None


def parse_time(text: str, label: str, problems: list[str]) -> datetime.time | None:
    value = text.strip()
    match = _TIME.match(value)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return datetime.time(hour, minute)
    problems.append(f"{label} : « {value} » n'est pas une heure (hh:mm).")
    return None


def parse_language(text: str, problems: list[str]) -> str:
    from patients.forms import LANGUAGES

    value = plain_text(text)
    if not value:
        return "fr"
    for code, label in LANGUAGES:
        if value in (code, plain_text(label)) or value in plain_text(label).split(" "):
            return code
    problems.append(f"Langue : « {text.strip()} » n'est pas une langue proposée.")
    return "fr"


@dataclass
class Line:
    """One line of the file and what became of it."""

    number: int  # line number in the file (headers are line 1)
    label: str  # who the line is about, for the report
    problems: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    decision: Decision | None = None
    action: str = ""  # what the line did (or would do): "create", "link" or "book"
    outcome: str = ""  # the same in French, for the report (future tense in a dry run)
    patient_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportReport:
    kind: ImportKind
    dry_run: bool
    lines: list[Line]
    committed: bool = False
    filename: str = ""

    @property
    def problem_lines(self) -> list[Line]:
        return [line for line in self.lines if line.problems]

    @property
    def created(self) -> int:
        return sum(1 for line in self.lines if line.ok and line.action == "create")

    @property
    def linked(self) -> int:
        return sum(1 for line in self.lines if line.ok and line.action == "link")

    @property
    def booked(self) -> int:
        return sum(1 for line in self.lines if line.ok and line.action == "book")


def _cells(table_row: Sequence[str], headers: Sequence[str], mapping: Mapping[str, str]) -> dict:
    index = {h: i for i, h in enumerate(headers)}
    return {
        key: " ".join(str(table_row[index[h]]).split()) if h in index else ""
        for key, h in mapping.items()
        if h
    }


def _patient_values(cells: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    labels = {c.key: c.label for c in PATIENT_COLUMNS}
    values: dict[str, Any] = {
        name: cells.get(name, "")
        for name in (
            "last_name", "birth_name", "first_name", "nir", "phone", "phone_alt", "email",
            "address", "postal_code", "city",
        )
    }  # fmt: skip
    for name in ("last_name", "first_name"):
        if not values[name]:
            problems.append(f"{labels[name]} : manquant.")
    sex = cells.get("sex", "").strip().lower()
    if sex in SEXES:
        values["sex"] = SEXES[sex]
    else:
        problems.append(f"Sexe : « {cells.get('sex', '')} » n'est ni F ni M.")
    values["birth_date"] = parse_date(cells.get("birth_date", ""), labels["birth_date"], problems)
    if values["birth_date"] is None and not any(
        p.startswith(labels["birth_date"]) for p in problems
    ):
        problems.append(f"{labels['birth_date']} : manquante.")
    values["language"] = parse_language(cells.get("language", ""), problems)
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(f"E-mail : « {values['email']} » n'est pas une adresse.")
    # The NIR and the phones are compacted by the service (spaces allowed here).
    _check_lengths(
        Patient,
        {k: v for k, v in values.items() if k not in ("nir", "phone", "phone_alt")},
        labels,
        problems,
    )
    return values


def _check_lengths(
    model: type[models.Model],
    values: Mapping[str, Any],
    labels: Mapping[str, str],
    problems: list[str],
) -> None:
    """Text longer than its column (the page's forms and the API refuse it before the
    service; a file is read here)."""
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        column = model._meta.get_field(name)
        limit = getattr(column, "max_length", None)
        if limit and len(value) > limit:
            problems.append(
                f"{labels.get(name, column.verbose_name)} : {len(value)} caractères, "  # type: ignore[union-attr]
                f"{limit} au plus."
            )


def _coverages(cells: Mapping[str, str], problems: list[str]) -> list[dict[str, Any]]:
    """The rights a line carries. Starts unknown to the other tool are taken as the first
    day of the import (rights recorded from what the file says, as at intake)."""
    labels = {c.key: c.label for c in PATIENT_COLUMNS}
    today = timezone.localdate()
    items: list[dict[str, Any]] = []

    def date(name: str) -> datetime.date | None:
        return parse_date(cells.get(name, ""), labels[name], problems)

    def start_for(end: datetime.date | None) -> datetime.date:
        # A right already ended when the file was exported starts on its last day.
        return min(today, end) if end else today

    amo_start, amo_end = date("amo_start"), date("amo_end")
    if amo_start or amo_end or cells.get("caisse_code") or cells.get("scheme_code"):
        items.append(
            {
                "kind": CoverageKind.AMO,
                "start": amo_start or start_for(amo_end),
                "end": amo_end,
                "scheme_code": cells.get("scheme_code", ""),
                "caisse_code": cells.get("caisse_code", ""),
            }
        )
    if cells.get("amc_name"):
        amc_end = date("amc_end")
        items.append(
            {
                "kind": CoverageKind.AMC,
                "start": start_for(amc_end),
                "end": amc_end,
                "organism_name": cells["amc_name"],
                "organism_number": cells.get("amc_number", ""),
                "contract": cells.get("amc_contract", ""),
            }
        )
    for kind, name in ((CoverageKind.C2S, "c2s_end"), (CoverageKind.AME, "ame_end")):
        end = date(name)
        if end is not None:
            items.append({"kind": kind, "start": start_for(end), "end": end})
    doctor = cells.get("doctor_name", "")
    if doctor and doctor.lower() not in NO:
        name = "" if doctor.lower() in YES else doctor
        items.append({"kind": CoverageKind.MEDECIN_TRAITANT, "start": today, "doctor_name": name})
    coverage_labels = {
        "scheme_code": labels["scheme_code"],
        "caisse_code": labels["caisse_code"],
        "organism_name": labels["amc_name"],
        "organism_number": labels["amc_number"],
        "contract": labels["amc_contract"],
        "doctor_name": labels["doctor_name"],
    }
    for item in items:
        _check_lengths(
            Coverage, {k: v for k, v in item.items() if k != "kind"}, coverage_labels, problems
        )
    return items


def _label(cells: Mapping[str, str]) -> str:
    name = f"{cells.get('last_name', '').upper()} {cells.get('first_name', '')}".strip()
    born = cells.get("birth_date", "")
    return f"{name} ({born})" if born else name or "(sans nom)"


def _field_problems(error: ValidationError | Refusal, kind: ImportKind) -> list[str]:
    labels = {c.key: c.label for c in COLUMNS[kind]}
    labels.update({"start": "Créneau", "end": "Fin", "patient": "Patient·e"})
    if isinstance(error, ValidationError):
        pairs = (
            [(k, m) for k, msgs in error.message_dict.items() for m in msgs]
            if hasattr(error, "error_dict")
            else [("", m) for m in error.messages]
        )
    else:
        pairs = [(k, m) for k, msgs in error.errors.items() for m in msgs]
        coverages = error.details.get("coverages") if error.details else None
        if isinstance(coverages, Mapping):
            pairs = [
                ("", f"Droit : {m}")
                for item in coverages.values()
                if isinstance(item, Mapping)
                for msgs in item.values()
                for m in (msgs if isinstance(msgs, list) else [msgs])
            ]
    return [f"{labels[k]} : {m}" if k in labels else m for k, m in pairs]


# ---------------------------------------------------------------------------------------
# The run


def import_run(
    *,
    by: User,
    kind: ImportKind,
    table: Table,
    mapping: Mapping[str, str],
    dry_run: bool,
    decisions: Mapping[int, Decision] | None = None,
    force_reason: str = "",
    filename: str = "",
) -> ImportReport:
    """Import `table` (see the module docstring). Direction only. Returns the report; with
    `dry_run=False` the import is kept (`report.committed`) only when no line has a problem."""
    if not perms.is_direction(by):
        raise Forbidden("Seule la direction peut importer des dossiers ou des rendez-vous.")
    if kind not in COLUMNS:
        raise ImportError_("Type d'import inconnu.", field="kind")
    check_mapping(kind, table.headers, mapping)
    decisions = dict(decisions or {})
    lines: list[Line] = []
    created: dict[int, int] = {}  # patient id → line that created it (this run)
    importer = hooks.appointment_importer() if kind == "appointments" else None
    if kind == "appointments" and importer is None:  # pragma: no cover - app always installed
        raise ImportError_("L'import des rendez-vous n'est pas disponible.")
    committed = False
    with transaction.atomic():
        for offset, row in enumerate(table.rows):
            cells = _cells(row, table.headers, mapping)
            line = Line(number=offset + 2, label=_label(cells), decision=decisions.get(offset + 2))
            lines.append(line)
            try:
                with transaction.atomic():
                    if kind == "patients":
                        _import_patient(by=by, cells=cells, line=line, created=created)
                    else:
                        assert importer is not None
                        _import_appointment(
                            by=by,
                            cells=cells,
                            line=line,
                            importer=importer,
                            force_reason=force_reason,
                        )
                    if line.problems:
                        raise _LineFailed
            except _LineFailed:
                pass
            except (Refusal, ValidationError) as error:
                line.problems.extend(_field_problems(error, kind))
        failed = [line for line in lines if line.problems]
        if dry_run or failed:
            transaction.set_rollback(True)
        else:
            audit.record(
                actor=by,
                action="patient.import",
                object_type=Patient._meta.label_lower,
                extra={
                    "kind": kind,
                    "filename": filename,
                    "lines": len(lines),
                    "created_ids": sorted(created),
                    "linked_ids": sorted(
                        {line.patient_id for line in lines if line.action == "link"} - {None}
                    ),
                    "appointments": sum(1 for line in lines if line.action == "book"),
                },
            )
            committed = True
    for line in lines:
        line.outcome = _outcome(line, done=committed)
    report = ImportReport(
        kind=kind, dry_run=dry_run, lines=lines, committed=committed, filename=filename
    )
    _journal_candidates_shown(by=by, report=report, created=created)
    return report


def _outcome(line: Line, *, done: bool) -> str:
    if line.problems or not line.action:
        return ""
    if line.action == "link":
        verb = "utilisé" if done else "sera utilisé"
        return f"dossier n° {line.patient_id} {verb} (rien n'y est modifié)"
    if line.action == "create":
        return "dossier créé" if done else "dossier à créer"
    return "rendez-vous pris" if done else "rendez-vous à prendre"


class _LineFailed(Exception):
    """Rolls one line's savepoint back when it collected problems without a refusal."""


def _import_patient(
    *, by: User, cells: Mapping[str, str], line: Line, created: dict[int, int]
) -> None:
    values = _patient_values(cells, line.problems)
    coverages = _coverages(cells, line.problems)
    if line.problems:
        return
    if isinstance(line.decision, int):
        existing = Patient.objects.active().filter(pk=line.decision).first()
        if existing is None:
            line.problems.append(f"Le dossier n° {line.decision} n'existe pas ou n'est plus actif.")
            return
        line.patient_id = existing.pk
        line.action = "link"
        return
    try:
        patient = identity.patient_register(
            by=by,
            values=values,
            coverages=coverages,
            confirm_not_duplicate=line.decision == "new",
        )
    except PatientError as refusal:
        candidates = refusal.details.get("candidates") if refusal.details else None
        if candidates is None:
            raise
        line.candidates = [{**c, "line": created.get(c["id"])} for c in candidates]
        line.problems.append(_duplicate_problem(line.candidates))
        return
    created[patient.pk] = line.number
    line.patient_id = patient.pk
    line.action = "create"


def _duplicate_problem(candidates: Sequence[Mapping[str, Any]]) -> str:
    shown = []
    for c in candidates:
        if c.get("line"):
            shown.append(f"la ligne {c['line']} du fichier")
        else:
            shown.append(
                f"le dossier n° {c['id']} ({c['display_name']}, {c['birth_date']:%d/%m/%Y})"
            )
    return (
        "Doublon possible avec " + ", ".join(shown) + " : choisissez d'utiliser ce dossier ou "
        "de créer un nouveau dossier."
    )


def _find_patient(*, by: User, cells: Mapping[str, str], line: Line) -> Patient | None:
    """The record an appointment line is about: the decision, else the NIR, else the one
    record with that birth date and close or same-sounding names."""
    if isinstance(line.decision, int):
        found = Patient.objects.active().filter(pk=line.decision).first()
        if found is None:
            line.problems.append(f"Le dossier n° {line.decision} n'existe pas ou n'est plus actif.")
        return found
    from patients.identifiers import compact_nir

    if cells.get("nir"):
        by_nir = list(Patient.objects.active().filter(nir=compact_nir(cells["nir"]))[:2])
        if len(by_nir) == 1:
            return by_nir[0]
    birth_date = parse_date(cells.get("birth_date", ""), "Date de naissance", line.problems)
    if birth_date is None:
        if not line.problems:
            line.problems.append("Date de naissance : manquante.")
        return None
    found_list = selectors.duplicate_candidates(
        last_name=cells.get("last_name", ""),
        first_name=cells.get("first_name", ""),
        birth_date=birth_date,
    )
    if len(found_list) == 1:
        return found_list[0]
    if not found_list:
        line.problems.append(
            "Aucun dossier ne correspond à cette personne : importez d'abord les patient·e·s."
        )
        return None
    line.candidates = [selectors.candidate_summary(p, by=by) for p in found_list]
    line.problems.append(
        "Plusieurs dossiers peuvent correspondre ("
        + ", ".join(f"n° {p.pk} {p.display_name}" for p in found_list)
        + ") : choisissez lequel."
    )
    return None


def _import_appointment(
    *,
    by: User,
    cells: Mapping[str, str],
    line: Line,
    importer: hooks.AppointmentImporter,
    force_reason: str,
) -> None:
    patient = _find_patient(by=by, cells=cells, line=line)
    if patient is None:
        return
    line.patient_id = patient.pk
    line.label = f"{patient.display_name} — {cells.get('date', '')} {cells.get('time', '')}"
    problems = importer(by=by, patient=patient, cells=cells, force_reason=force_reason)
    if problems:
        line.problems.extend(problems)
        return
    line.action = "book"


def _journal_candidates_shown(
    *, by: User, report: ImportReport, created: Mapping[int, int]
) -> None:
    """The existing records the report shows as candidates, journaled as the intake form's
    candidates are (records created by a rolled-back run are not records)."""
    shown = [
        c["id"]
        for line in report.lines
        for c in line.candidates
        if not c.get("line") and c["id"] not in created
    ]
    if shown:
        audit.record_list_read(
            actor=by,
            action=selectors.DUPLICATE_CANDIDATES_ACTION,
            model=Patient,
            ids=list(dict.fromkeys(shown)),
            source="import",
        )

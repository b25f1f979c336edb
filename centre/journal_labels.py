"""The journal as a director reads it: French labels for actions, objects and field changes
(« statut : prévu → arrivé », not « status : s → e »), staff names instead of e-mails.

Labels come from the models themselves (verbose names, choices), so a new field or a new
status is labelled without touching this module; actions have a table, with a composed
fallback (family + verb) for the ones it does not list.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats

from centre.journal_keys import ERASED
from centre.models import AuditEntry

# Action families: the first part of the action code.
FAMILIES: dict[str, str] = {
    "patient": "Dossiers patients",
    "coverage": "Droits (couverture)",
    "appointment": "Rendez-vous",
    "waiting_list": "Liste d'attente",
    "schedule": "Plannings",
    "absence": "Absences",
    "consultation_type": "Types de consultation",
    "calendar_feed": "Agendas partagés",
    "billing": "Facturation",
    "outreach": "Médiation",
    "participation": "Participation des usagers",
    "report": "Rapports",
    "staff": "Équipe",
    "api_token": "Jetons d'API",
    "auth": "Connexions",
    "admin": "Administration",
    "audit": "Journal",
}

ACTIONS: dict[str, str] = {
    "patient.create": "Création du dossier",
    "patient.update": "Modification du dossier",
    "patient.view": "Consultation du dossier",
    "patient.search": "Recherche de patient·e·s",
    "patient.export_json": "Export RGPD (JSON)",
    "patient.export_pdf": "Export RGPD (PDF)",
    "patient.anonymise": "Anonymisation (effacement RGPD)",
    "patient.merge": "Fusion de dossiers",
    "patient.merged_into": "Dossier fusionné dans un autre",
    "patient.not_duplicate": "Marqué « pas un doublon »",
    "patient.not_duplicate_undo": "Marque « pas un doublon » retirée",
    "patient.duplicates": "Liste des doublons possibles",
    "patient.duplicate_candidates": "Doublons possibles affichés à l'inscription",
    "patient.duplicates_dismissed": "Doublons possibles écartés",
    "patient.merge_screen": "Écran de fusion",
    "patient.rights_worklist": "Liste des droits à renouveler",
    "coverage.add": "Ajout d'un droit",
    "coverage.close": "Clôture d'un droit",
    "appointment.book": "Prise de rendez-vous",
    "appointment.move": "Déplacement du rendez-vous",
    "appointment.arrived": "Arrivée",
    "appointment.undo_arrival": "Arrivée annulée",
    "appointment.seen": "Consultation faite",
    "appointment.no_show": "Absence au rendez-vous",
    "appointment.cancel_by_patient": "Annulation par la personne",
    "appointment.walk_in": "Consultation sans rendez-vous",
    "appointment.read": "Consultation du rendez-vous",
    "appointment.list": "Liste de rendez-vous",
    "appointment.day_sheet": "Feuille du jour",
    "appointment.list.export_csv": "Export CSV des consultations",
    "appointment.reminder_sent": "Rappel envoyé",
    "appointment.reminder_failed": "Rappel non envoyé",
    "appointment.confirmation_sent": "Confirmation envoyée",
    "appointment.confirmation_failed": "Confirmation non envoyée",
    "waiting_list.add": "Inscription sur la liste d'attente",
    "waiting_list.close": "Sortie de la liste d'attente",
    "waiting_list.notified": "Personne prévenue",
    "waiting_list.offer_sent": "Créneau proposé",
    "waiting_list.offer_failed": "Proposition de créneau non envoyée",
    "billing.invoice.create": "Facture créée",
    "billing.invoice.preview": "Aperçu de facture",
    "billing.invoice.read": "Consultation de la facture",
    "billing.invoice.list": "Liste de factures",
    "billing.invoice.correct": "Facture corrigée",
    "billing.invoice.supersede": "Facture remplacée",
    "billing.invoice.recheck": "Facture revérifiée",
    "billing.invoice.convert_pending": "Facture convertie (droits ouverts)",
    "billing.payment.record": "Paiement enregistré",
    "billing.receipt.print": "Reçu imprimé",
    "billing.claim.list": "Liste de demandes de remboursement",
    "billing.claim.return": "Retour de l'organisme",
    "billing.claim.resubmit": "Demande renvoyée",
    "billing.claim.write_off": "Demande passée en perte",
    "billing.claim.bill_patient": "Demande facturée à la personne",
    "billing.batch.build": "Lot construit",
    "billing.batch.download": "Lot téléchargé",
    "billing.return.upload": "Fichier retour déposé",
    "billing.return.import": "Fichier retour rapproché",
    "billing.return.refuse": "Fichier retour refusé",
    "billing.tariff.add": "Tarif ajouté",
    "outreach.session.log": "Entretien saisi",
    "outreach.session.update": "Entretien modifié",
    "outreach.session.read": "Consultation de l'entretien",
    "outreach.session.list": "Liste d'entretiens",
    "outreach.session.followup_done": "Suivi fait",
    "outreach.person.create": "Personne rencontrée enregistrée",
    "outreach.person.link": "Personne rattachée à un dossier",
    "outreach.person.merge": "Personnes fusionnées",
    "outreach.person.read": "Consultation de la personne rencontrée",
    "outreach.file.open": "Dossier de droits ouvert",
    "outreach.referral.create": "Orientation",
    "outreach.referral.update": "Orientation modifiée",
    "outreach.referral.book": "Orientation : rendez-vous pris",
    "outreach.referral.cancel": "Orientation annulée",
    "outreach.referral.outcome": "Suite de l'orientation",
    "outreach.referral.list": "Liste d'orientations",
    "report.request": "Rapport demandé",
    "report.download": "Rapport téléchargé",
    "report.files.purge": "Fichiers de rapports purgés",
    "staff.invite": "Invitation d'un membre de l'équipe",
    "staff.activate": "Compte réactivé",
    "staff.deactivate": "Compte désactivé",
    "auth.login": "Connexion",
    "auth.logout": "Déconnexion",
    "auth.login_failed": "Connexion refusée",
    "audit.purge_reads": "Purge des consultations anciennes",
    "audit.export_csv": "Export CSV du journal",
    "audit.journal.read": "Lecture du journal",
    "appointment.called_in": "Patient·e appelé·e en consultation",
    "appointment.patient_chosen": "Patient·e choisi·e pour un rendez-vous",
    "auth.email_change": "Adresse e-mail modifiée",
    "auth.password_change": "Mot de passe modifié",
    "auth.mfa_add": "Double authentification ajoutée",
    "auth.mfa_remove": "Double authentification retirée",
    "auth.mfa_reset": "Double authentification réinitialisée",
    "billing.batch.paid": "Lot payé",
    "billing.batch.resend": "Lot renvoyé",
    "billing.batch.send": "Lot envoyé",
    "billing.fse.degraded": "Feuille de soins en mode dégradé",
    "billing.fse.refuse": "Feuille de soins refusée",
    "billing.fse.secure": "Feuille de soins sécurisée",
    "billing.reconciliation.list": "Liste « à rapprocher »",
    "billing.reconciliation.resolve": "Paiement rapproché",
    "billing.tariff.correct": "Tarif vérifié ou corrigé",
    "billing.worklist.export": "Export d'une liste de travail",
    "outreach.collective_action.attendance": "Présent·e·s d'une action collective affiché·e·s",
    "outreach.collective_action.attendee_add": "Personne inscrite présente à une action",
    "outreach.collective_action.attendee_remove": "Personne retirée des présent·e·s",
    "outreach.file.list": "Liste de dossiers d'accès aux droits",
    "outreach.patient_search.list": "Recherche de patient·e (médiation)",
    "outreach.referral.read": "Orientation consultée",
    "outreach.rights_worklist.list": "Liste des droits à suivre",
    "patient.identity.document_checked": "Pièce d'identité vérifiée",
    "patient.identity.ins_retrieved": "INS récupéré",
    "patient.identity.ins_search": "Recherche INSi",
    "patient.identity.ins_verified": "INS vérifié",
    "patient.identity.lowered": "Statut d'identité abaissé",
    "patient.identity.merged": "Identité reprise à la fusion",
    "patient.identity.unqualified": "Qualification de l'identité retirée",
    "patient.import": "Import de patient·e·s",
    "report.figure.rows": "Détail d'un chiffre du tableau de bord",
}

VERBS: dict[str, str] = {
    "create": "création",
    "update": "modification",
    "delete": "suppression",
    "add": "ajout",
    "read": "consultation",
    "view": "consultation",
    "list": "liste",
    "cancel": "annulation",
    "schedule": "programmation",
    "move": "déplacement",
    "status": "changement d'état",
    "renew": "renouvellement",
    "revoke": "révocation",
    "revoke_all": "révocation de tous",
    "reactivate": "réactivation",
    "end": "fin",
    "remove": "retrait",
    "decide": "décision",
    "open": "ouverture",
    "close": "clôture",
    "log": "saisie",
    "link": "rattachement",
    "book": "programmation",
    "decline": "refus",
    "outcome": "suite donnée",
    "advance": "étape suivante",
    "download": "téléchargement",
    "request": "demande",
    "purge": "purge",
}


def action_label(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    parts = action.split(".")
    family = FAMILIES.get(parts[0], parts[0])
    if parts[0] == "admin" and len(parts) == 3:
        model = parts[1]
        return f"Administration : {VERBS.get(parts[2], parts[2])} ({model})"
    verb = parts[-1]
    for suffix, label in (("_sent", "envoi"), ("_failed", "échec d'envoi")):
        if verb.endswith(suffix):
            return f"{family} : {label}"
    if verb.startswith("export_"):
        return f"{family} : export {verb.removeprefix('export_').upper()}"
    return f"{family} : {VERBS.get(verb, verb.replace('_', ' '))}"


def family_of(action: str) -> str:
    return action.split(".", 1)[0]


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name).capitalize() if model else object_type


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def field_label(model: type[models.Model] | None, name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name.replace("_", " ")


def value_label(model: type[models.Model] | None, name: str, value: Any) -> str:
    """A value as the director reads it: choices by their label, yes/no, French dates."""
    if value is None or value == "":
        return "∅"
    if value == ERASED:
        return ERASED
    field = _field(model, name)
    if field is not None and field.choices:
        choices = dict(field.flatchoices)
        if isinstance(value, list):
            return ", ".join(str(choices.get(v, v)) for v in value)
        return str(choices.get(value, value))
    if field is not None and getattr(field, "base_field", None) is not None:
        base = field.base_field  # type: ignore[attr-defined]
        if base.choices and isinstance(value, list):
            choices = dict(base.flatchoices)
            return ", ".join(str(choices.get(v, v)) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        return formats.date_format(moment, "j F Y H:i")
    if isinstance(field, models.DateField) and isinstance(value, str):
        try:
            return formats.date_format(datetime.date.fromisoformat(value), "j F Y")
        except ValueError:
            return value
    if isinstance(field, models.ForeignKey):
        return f"n° {value}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.field} : {self.before} → {self.after}"


def changes_of(entry: AuditEntry) -> list[Change]:
    model = _model(entry.object_type)
    found = []
    for name, values in (entry.changes or {}).items():
        pair = values if isinstance(values, list) and len(values) == 2 else [None, values]
        found.append(
            Change(
                field_label(model, name),
                value_label(model, name, pair[0]),
                value_label(model, name, pair[1]),
            )
        )
    return found


def actor_name(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return entry.actor.get_full_name() or entry.actor.email
    return entry.actor_label or "système"


@dataclass(frozen=True)
class Row:
    """One entry as shown in the journal page and its CSV."""

    entry: AuditEntry
    who: str
    action: str
    family: str
    object_type: str
    object: str
    changes: list[Change]


def readable(entries: Iterable[AuditEntry]) -> list[Row]:
    rows = []
    for entry in entries:
        rows.append(
            Row(
                entry=entry,
                who=actor_name(entry),
                action=action_label(entry.action),
                family=FAMILIES.get(family_of(entry.action), family_of(entry.action)),
                object_type=object_type_label(entry.object_type) if entry.object_type else "",
                object=entry.object_label or entry.object_repr,
                changes=changes_of(entry),
            )
        )
    return rows

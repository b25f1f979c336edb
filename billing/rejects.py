"""Reject reasons returned by the payers (docs/billing-formats.md, « Codes de rejet reconnus »:
the situations a caisse's NOEMIE return reports), with the French label and the action the clerk
should take."""

from __future__ import annotations

from dataclasses import dataclass


class Action:
    RESUBMIT = "resubmit"  # correct and resubmit in a new batch
    BILL_PATIENT = "bill_patient"
    WRITE_OFF = "write_off"

    LABELS = {
        RESUBMIT: "Corriger et renvoyer dans un nouveau lot",
        BILL_PATIENT: "Facturer au·à la patient·e",
        WRITE_OFF: "Passer en perte (avec motif)",
    }


@dataclass(frozen=True)
class RejectReason:
    code: str
    label: str
    advice: str
    action: str


REJECT_REASONS: dict[str, RejectReason] = {
    r.code: r
    for r in (
        RejectReason(
            "R01",
            "Droits fermés à la date des soins",
            "Vérifier les droits (AME, C2S, nouvelle caisse) avec la médiation ; renvoyer si "
            "des droits étaient ouverts, sinon facturer au patient ou au fonds de solidarité.",
            Action.RESUBMIT,
        ),
        RejectReason(
            "R02",
            "Bénéficiaire inconnu",
            "Vérifier le NIR de l'assuré·e et le rang de naissance, corriger puis renvoyer.",
            Action.RESUBMIT,
        ),
        RejectReason(
            "R03",
            "Discordance NIR / date de naissance",
            "Comparer la date de naissance avec l'attestation de droits, corriger puis renvoyer.",
            Action.RESUBMIT,
        ),
        RejectReason(
            "R04",
            "Acte non facturable par cette profession",
            "Vérifier le code de l'acte ; s'il est erroné, corriger la facture, sinon passer en "
            "perte.",
            Action.WRITE_OFF,
        ),
        RejectReason(
            "R05",
            "Facture en double",
            "La facture a déjà été payée : passer en perte avec le motif « doublon ».",
            Action.WRITE_OFF,
        ),
        RejectReason(
            "R06",
            "Information médecin traitant manquante",
            "Renseigner le médecin traitant déclaré (ou la situation d'urgence), puis renvoyer.",
            Action.RESUBMIT,
        ),
        RejectReason(
            "R07",
            "Montant incohérent avec le tarif",
            "Vérifier le tarif en vigueur à la date des soins, corriger puis renvoyer.",
            Action.RESUBMIT,
        ),
    )
}


def reason_for(code: str) -> RejectReason | None:
    return REJECT_REASONS.get(code)

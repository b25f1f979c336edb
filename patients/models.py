from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from patients.strict_traits import StrictTraits


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"


class Unaccent(models.Func):
    """`patients_unaccent(text)`: lower-case, without accents (IMMUTABLE wrapper)."""

    function = "patients_unaccent"
    output_field = models.TextField()


class BirthPlaceKind(models.TextChoices):
    COMMUNE = "commune", "Commune"
    COUNTRY = "pays", "Pays ou territoire"


class BirthPlace(models.Model):
    """A birth place of the INSEE's Code officiel géographique (COG): a commune (current,
    delegated or associated, or a municipal arrondissement) or, for people born abroad, a
    country or territory (code 99xxx). Reference data loaded by migration from
    `patients/data/cog_*.csv` and refreshed with `manage.py load_cog`;
    docs/identitovigilance.md, « Lieu de naissance »."""

    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    kind = models.CharField("nature", max_length=8, choices=BirthPlaceKind.choices)
    name = models.CharField("libellé", max_length=200)
    cog_type = models.CharField(
        "type COG", max_length=4, blank=True, help_text="COM, COMD, COMA, ARM (communes)."
    )
    department = models.CharField("département ou collectivité", max_length=3, blank=True)
    parent_code = models.CharField("commune ou pays de rattachement", max_length=5, blank=True)
    valid_until = models.DateField(
        "n'existe plus depuis", null=True, blank=True, help_text="Pays disparus (COG)."
    )

    class Meta:
        verbose_name = "lieu de naissance (COG)"
        verbose_name_plural = "lieux de naissance (COG)"
        ordering = ("code",)

    def __str__(self) -> str:
        if self.kind == BirthPlaceKind.COUNTRY:
            return f"{self.name} ({self.code})"
        return f"{self.name} ({self.department}) — {self.code}"


class IdentityStatus(models.TextChoices):
    """The four confidence statuses of a local identity (RNIV 1, § 3.1 and 3.2): how much
    the recorded traits can be trusted. docs/identitovigilance.md."""

    PROVISIONAL = "provisoire", "Identité provisoire"
    RETRIEVED = "recuperee", "Identité récupérée"
    VALIDATED = "validee", "Identité validée"
    QUALIFIED = "qualifiee", "Identité qualifiée"


# Higher is more trusted (merges keep the highest; duplicates list it first).
IDENTITY_STATUS_RANK = {
    IdentityStatus.PROVISIONAL: 0,
    IdentityStatus.RETRIEVED: 1,
    IdentityStatus.VALIDATED: 1,
    IdentityStatus.QUALIFIED: 2,
}


class IdentityDocument(models.TextChoices):
    """High-trust identity documents (RNIV 1, § 3.1.2, « dispositifs d'identité à haut
    niveau de confiance »): only these validate an identity. The family record book and
    the birth certificate are accepted for a minor only, with the parent's document."""

    PASSPORT = "passeport", "Passeport"
    ID_CARD = "cni", "Carte nationale d'identité"
    RESIDENCE_PERMIT = "titre_sejour", "Titre de séjour"
    FAMILY_BOOK = "livret_famille", "Livret de famille (mineur·e)"
    BIRTH_CERTIFICATE = "acte_naissance", "Extrait d'acte de naissance (mineur·e)"


MINOR_ONLY_DOCUMENTS = frozenset({IdentityDocument.FAMILY_BOOK, IdentityDocument.BIRTH_CERTIFICATE})


class InsOid(models.TextChoices):
    """OIDs of the INS matricule (ANS, « Référentiel INS » and FR Core `fr-core-patient-ins`):
    the person's own NIR, or the NIA (identifiant d'attente) given while the NIR is pending.
    The *test* OIDs (…1.4.10 NIR, …1.4.11 NIA) are the INSi qualification platform's."""

    NIR = "1.2.250.1.213.1.4.8", "INS-NIR"
    NIA = "1.2.250.1.213.1.4.9", "INS-NIA"
    TEST_NIR = "1.2.250.1.213.1.4.10", "INS-NIR de test"
    TEST_NIA = "1.2.250.1.213.1.4.11", "INS-NIA de test"


class PatientQuerySet(models.QuerySet["Patient"]):
    def active(self) -> PatientQuerySet:
        """Records in use: not merged into another one, not anonymised."""
        return self.filter(merged_into__isnull=True, anonymised_at__isnull=True)


class Patient(models.Model):
    """A person known to the centre: identity and contact only. No medical notes here."""

    # Used name and used first name (RNIV « nom utilisé », « prénom utilisé »): what the
    # person is called at reception; the strict traits follow (docs/identitovigilance.md).
    last_name = models.CharField("nom d'usage", max_length=100)
    birth_name = models.CharField("nom de naissance", max_length=100, blank=True)
    first_name = models.CharField("prénom(s)", max_length=150)
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("date de naissance")
    birth_rank = models.PositiveSmallIntegerField(
        "rang de naissance", null=True, blank=True, help_text="Pour des jumeaux (1, 2…)."
    )
    nir = models.CharField("NIR (n° de sécurité sociale)", max_length=15, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    phone_alt = models.CharField("autre téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    in_qpv = models.BooleanField("habite en quartier prioritaire (QPV)", null=True, blank=True)
    language = models.CharField("langue préférée", max_length=10, default="fr")
    interpreter_needed = models.BooleanField("besoin d'interprète", default=False)
    consent_sms = models.BooleanField("accepte les SMS de rappel", default=False)
    consent_email = models.BooleanField("accepte les e-mails de rappel", default=False)
    gdpr_informed_on = models.DateField(
        "informé·e du traitement des données le", null=True, blank=True
    )
    admin_notes = models.TextField("notes administratives", blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name="fusionné dans",
    )
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    usual_site = models.ForeignKey(
        "centre.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="site habituel",
    )
    nir_needs_review = models.BooleanField(
        "NIR à vérifier",
        default=False,
        help_text="Numéro provisoire (commençant par 7 ou 8) : à faire vérifier par la caisse.",
    )

    # Strict traits beyond the names above (RNIV 1, § 3.1.3): birth first names in their
    # order, the first of them, the INSEE code of the birth place. Written through
    # `services.identity` (capture) and `services.identity_status` (from the INSi answer).
    birth_first_names = ArrayField(
        models.CharField(max_length=100),
        verbose_name="prénoms de naissance",
        default=list,
        blank=True,
        help_text="Dans l'ordre de l'acte de naissance.",
    )
    first_birth_first_name = models.CharField(
        "premier prénom de naissance", max_length=100, blank=True
    )
    birth_place = models.ForeignKey(
        BirthPlace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="lieu de naissance (code INSEE)",
    )
    # Identity status and what raised it (`services.identity_status`, journaled). The
    # document's type and date only: never a copy of it.
    identity_status = models.CharField(
        "statut de l'identité",
        max_length=10,
        choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    identity_document = models.CharField(
        "pièce d'identité vérifiée", max_length=20, choices=IdentityDocument.choices, blank=True
    )
    identity_document_checked_on = models.DateField("pièce vérifiée le", null=True, blank=True)
    identity_document_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pièce vérifiée par",
    )
    # The INS: the person's own matricule (never the insured parent's NIR) and its OID,
    # stored only when retrieved from INSi and checked against the traits.
    ins_matricule = models.CharField("matricule INS", max_length=15, blank=True)
    ins_oid = models.CharField(
        "OID du matricule INS", max_length=30, choices=InsOid.choices, blank=True
    )
    ins_retrieved_at = models.DateTimeField("INS récupérée le", null=True, blank=True)

    # Stored, generated by PostgreSQL from the names and numbers (IMMUTABLE functions of
    # migration 0002): the search reads them instead of unaccenting every candidate row,
    # which halves the cost of ranking a common name among 200,000 patients.
    # Plain Func expressions, so that the migration imports no app code.
    search_text = models.GeneratedField(
        expression=models.Func(
            models.F("last_name"),
            models.F("birth_name"),
            models.F("first_name"),
            function="patients_search_text",
        ),
        output_field=models.TextField(),
        db_persist=True,
    )
    ids_text = models.GeneratedField(
        expression=models.Func(
            models.F("nir"), models.F("phone"), models.F("phone_alt"), function="patients_ids_text"
        ),
        output_field=models.TextField(),
        db_persist=True,
    )
    # Phonetic keys of the names (`n:` last and birth names, `p:` first names), computed by
    # PostgreSQL (`patients_phonetic_keys`, migration 0005_id_phonetic_keys) at every write;
    # used by the search and the duplicate detection (docs/patients.md).
    phonetic_keys = models.GeneratedField(
        expression=models.Func(
            models.F("last_name"),
            models.F("birth_name"),
            models.F("first_name"),
            function="patients_phonetic_keys",
        ),
        output_field=ArrayField(models.TextField()),
        db_persist=True,
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = "patient·e"
        verbose_name_plural = "patient·e·s"
        ordering = ("last_name", "first_name", "birth_date")
        indexes = [
            GinIndex(
                fields=["search_text"], opclasses=["gin_trgm_ops"], name="patient_search_trgm"
            ),
            GinIndex(fields=["ids_text"], opclasses=["gin_trgm_ops"], name="patient_numbers_trgm"),
            GinIndex(fields=["phonetic_keys"], name="patient_phonetic_keys"),
            models.Index(fields=("birth_date",), name="patient_birth_date"),
            models.Index(fields=("nir",), name="patient_nir", condition=~models.Q(nir="")),
            models.Index(fields=("birth_date", "birth_place"), name="patient_birth_strict"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ins_matricule="") | ~models.Q(ins_oid=""),
                name="patient_ins_has_oid",
                violation_error_message="Un matricule INS est toujours accompagné de son OID.",
            ),
            models.CheckConstraint(
                condition=~models.Q(identity_status__in=("recuperee", "qualifiee"))
                | ~models.Q(ins_matricule=""),
                name="patient_retrieved_has_ins",
                violation_error_message="Une identité récupérée ou qualifiée a son INS.",
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.last_name.upper()} {self.first_name}".strip()
        return f"{name} ({self.birth_date:%d/%m/%Y})"

    @property
    def is_active(self) -> bool:
        return self.merged_into_id is None and self.anonymised_at is None

    @property
    def display_name(self) -> str:
        """`DUPONT Marie (née MARTIN)` without the birth date."""
        name = f"{self.last_name.upper()} {self.first_name}".strip()
        if self.birth_name and self.birth_name.lower() != self.last_name.lower():
            born = "née" if self.sex == Sex.FEMALE else "né"
            name += f" ({born} {self.birth_name.upper()})"
        return name

    @property
    def strict_traits(self) -> StrictTraits:
        return StrictTraits(
            birth_name=self.birth_name,
            first_names=tuple(self.birth_first_names or ()),
            first_first_name=self.first_birth_first_name,
            birth_date=self.birth_date,
            sex=self.sex,
            birth_place_code=self.birth_place_id or "",
        )

    @property
    def identity_is_qualified(self) -> bool:
        return self.identity_status == IdentityStatus.QUALIFIED

    def age_on(self, day: datetime.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


class CoverageKind(models.TextChoices):
    AMO = "amo", "Assurance maladie obligatoire (AMO)"
    AMC = "amc", "Complémentaire (AMC, mutuelle)"
    C2S = "c2s", "Complémentaire santé solidaire (C2S)"
    AME = "ame", "Aide médicale de l'État (AME)"
    ALD = "ald", "Affection de longue durée (ALD)"
    MEDECIN_TRAITANT = "medecin_traitant", "Médecin traitant déclaré"
    MATERNITY = "maternity", "Maternité (100 %)"
    WORK_ACCIDENT = "work_accident", "Accident du travail / maladie professionnelle"
    # Invalidity pensioners are exempt from the ticket modérateur (CSS, art. L160-14; ameli,
    # « La pension d'invalidité »); billing reads it from patients.coverage.
    INVALIDITY = "invalidity", "Pension d'invalidité (100 %)"


# Kinds of which a patient may hold several at once (several ALD exemptions, or a work
# accident and an occupational disease); for the other kinds a new record closes the current one.
MULTIPLE_KINDS = frozenset({CoverageKind.ALD, CoverageKind.WORK_ACCIDENT})
# Kinds that open rights to care being paid ("no rights" = none of these is valid).
RIGHTS_KINDS = frozenset({CoverageKind.AMO, CoverageKind.AME})


class AldCode(models.TextChoices):
    # Exemption codes of the long-term conditions (CSS art. L160-14, 3° for the listed ALD,
    # 4° for the off-list ones and polypathology), as the Assurance Maladie codes them;
    # docs/patients.md, « Droits ».
    LISTED = "41", "41 — ALD de la liste"
    OFF_LIST = "43", "43 — ALD hors liste"
    MULTIPLE = "45", "45 — polypathologie"


class CoverageQuerySet(models.QuerySet["Coverage"]):
    def valid_on(self, day: datetime.date) -> CoverageQuerySet:
        return self.filter(start__lte=day).filter(
            models.Q(end__isnull=True) | models.Q(end__gte=day)
        )


class Coverage(models.Model):
    """One right of a patient with its validity dates. Rows are never deleted: the history
    is kept and a new right of the same kind closes the current one (`services`)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="coverages", verbose_name="patient·e"
    )
    kind = models.CharField("type de droit", max_length=20, choices=CoverageKind.choices)
    start = models.DateField("début")
    end = models.DateField("fin", null=True, blank=True, help_text="Vide si sans date de fin.")
    # AMO
    scheme_code = models.CharField(
        "code régime", max_length=2, blank=True, help_text="01 = régime général."
    )
    caisse_code = models.CharField(
        "code caisse", max_length=3, blank=True, help_text="Ex. 861 = CPAM de la Vienne."
    )
    insured_nir = models.CharField(
        "NIR de l'assuré·e",
        max_length=15,
        blank=True,
        help_text="Si la personne est ayant droit (enfant rattaché à un parent).",
    )
    # AMC
    organism_name = models.CharField("organisme complémentaire", max_length=150, blank=True)
    organism_number = models.CharField("n° d'organisme", max_length=20, blank=True)
    contract = models.CharField("n° de contrat", max_length=50, blank=True)
    tiers_payant = models.BooleanField("tiers payant accordé", default=False)
    # C2S
    with_contribution = models.BooleanField("C2S avec participation financière", default=False)
    # ALD
    ald_code = models.CharField(
        "code d'exonération", max_length=2, choices=AldCode.choices, blank=True
    )
    label = models.CharField(
        "libellé", max_length=200, blank=True, help_text="ALD, accident du travail…"
    )
    # Médecin traitant
    doctor_in_centre = models.BooleanField("médecin traitant exerçant au centre", default=False)
    doctor_name = models.CharField("nom du médecin traitant", max_length=150, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CoverageQuerySet.as_manager()

    class Meta:
        verbose_name = "droit"
        verbose_name_plural = "droits"
        ordering = ("kind", "-start", "-id")
        indexes = [models.Index(fields=("patient", "kind", "start"), name="coverage_patient_kind")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="coverage_end_after_start",
                violation_error_message="La fin du droit ne peut précéder son début.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.start:%d/%m/%Y}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


class QpvStreet(models.Model):
    """A street of a priority neighbourhood (quartier prioritaire de la politique de la ville),
    reference data loaded with `manage.py load_qpv_streets`. Reception still decides the flag:
    a long street can be partly in a QPV."""

    city = models.CharField("commune", max_length=100)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    street = models.CharField("voie", max_length=200)
    street_key = models.CharField("voie (forme normalisée)", max_length=200, editable=False)
    qpv_code = models.CharField("code du QPV", max_length=20, blank=True)
    qpv_name = models.CharField("nom du QPV", max_length=150)

    class Meta:
        verbose_name = "rue en QPV"
        verbose_name_plural = "rues en QPV"
        ordering = ("city", "street")
        constraints = [
            models.UniqueConstraint(fields=("city", "street_key"), name="qpv_street_unique")
        ]

    def __str__(self) -> str:
        return f"{self.street}, {self.city} ({self.qpv_name})"


class NotDuplicatePairQuerySet(models.QuerySet["NotDuplicatePair"]):
    def for_pair(self, a_id: int, b_id: int) -> NotDuplicatePairQuerySet:
        """The mark of two records, whatever order they are given in."""
        first_id, second_id = sorted((a_id, b_id))
        return self.filter(first_id=first_id, second_id=second_id)

    def involving(self, patient_id: int) -> NotDuplicatePairQuerySet:
        return self.filter(models.Q(first_id=patient_id) | models.Q(second_id=patient_id))


class NotDuplicatePair(models.Model):
    """Two records the director checked and found to be two different people (twins,
    homonyms born the same day): the pair leaves the possible-duplicates list for good.
    Stored lower id first so that a pair has exactly one row. Written only by
    `services.patients_mark_not_duplicates` / `patients_unmark_not_duplicates`; merging or
    anonymising one of the two records moves or removes the mark (`services`).

    The relations are hidden (`related_name="+"`) so that the merge's generic move of every
    row pointing to the merged record leaves them alone: the merge handles them itself."""

    first = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="+", verbose_name="dossier le plus ancien"
    )
    second = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="+", verbose_name="autre dossier"
    )
    reason = models.CharField("raison", max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="décidé par",
    )
    decided_at = models.DateTimeField("décidé le", default=timezone.now)

    objects = NotDuplicatePairQuerySet.as_manager()

    class Meta:
        verbose_name = "paire « pas des doublons »"
        verbose_name_plural = "paires « pas des doublons »"
        ordering = ("-decided_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")),
                name="not_duplicate_pair_ordered",
                violation_error_message="Le premier dossier doit être le plus ancien.",
            ),
            models.UniqueConstraint(fields=("first", "second"), name="not_duplicate_pair_unique"),
        ]

    def __str__(self) -> str:
        return f"n° {self.first_id} ≠ n° {self.second_id}"

    def other_id(self, patient_id: int) -> int:
        """The record marked as another person than `patient_id` (one of the pair)."""
        return self.second_id if self.first_id == patient_id else self.first_id

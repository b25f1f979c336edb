"""Seal the journal entries written before crypto-shredding (migration 0008): the entries
about a person get that person's key, their values sealed and their label pseudonymised, as
`centre.audit.record` does for new entries; the keys of the persons already anonymised are
destroyed at once, so what the journal still showed of them becomes « [effacé] ».

A one-time conversion of history, run by the owner role (the only one that may disable the
append-only trigger, for the duration of this migration); nothing else ever rewrites the
journal. Entries whose object no longer exists, and entries not about a person, stay as they
were (an object that was deleted cannot be traced to a person any more).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet
from django.db import migrations, models
from django.utils import timezone

PATIENT, PERSON = "patients.patient", "outreach.person"
DIRECT = (("patient", PATIENT), ("person", PERSON))
THROUGH = ("appointment", "invoice", "claim", "entry", "session", "file")
BATCH = 2000


def _fk(obj: Any, name: str) -> Any:
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return None
    return getattr(obj, field.attname, None) if isinstance(field, models.ForeignKey) else None


def _subject(obj: Any, depth: int = 0) -> tuple[str, str] | None:
    if obj is None or depth > 3:
        return None
    label = obj._meta.label_lower
    if label in (PATIENT, PERSON):
        return (label, str(obj.pk))
    for name, kind in DIRECT:
        pk = _fk(obj, name)
        if pk is not None:
            return (kind, str(pk))
    for name in THROUGH:
        if _fk(obj, name) is not None:
            return _subject(getattr(obj, name), depth + 1)
    return None


def seal_existing(apps: Any, schema_editor: Any) -> None:
    AuditEntry = apps.get_model("centre", "AuditEntry")
    JournalKey = apps.get_model("centre", "JournalKey")
    subjects: dict[tuple[str, str], tuple[str, str] | None] = {}
    fernets: dict[tuple[str, str], tuple[Any, Fernet]] = {}

    def subject_for(object_type: str, object_id: str) -> tuple[str, str] | None:
        found = (object_type, object_id)
        if found not in subjects:
            if object_type in (PATIENT, PERSON):
                subjects[found] = found
            else:
                try:
                    model = apps.get_model(object_type)
                except (LookupError, ValueError):
                    model = None
                obj = model._default_manager.filter(pk=object_id).first() if model else None
                subjects[found] = _subject(obj)
        return subjects[found]

    def key_for(subject: tuple[str, str]) -> tuple[Any, Fernet]:
        if subject not in fernets:
            key = JournalKey.objects.filter(
                subject_type=subject[0], subject_id=subject[1], destroyed_at=None
            ).first() or JournalKey.objects.create(
                subject_type=subject[0], subject_id=subject[1], secret=Fernet.generate_key()
            )
            fernets[subject] = (key, Fernet(bytes(key.secret)))
        return fernets[subject]

    def seal(fernet: Fernet, value: Any) -> dict[str, str]:
        token = fernet.encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()
        return {"sealed": token}

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        # Deferred foreign-key checks must run before the table's triggers can be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE centre_auditentry DISABLE TRIGGER centre_auditentry_append_only"
        )
    try:
        pending = (
            AuditEntry.objects.filter(key__isnull=True)
            .exclude(object_type="")
            .exclude(object_id="")
            .order_by("pk")
        )
        last = 0
        while True:
            batch = list(pending.filter(pk__gt=last)[:BATCH])
            if not batch:
                break
            last = batch[-1].pk
            changed = []
            for entry in batch:
                subject = subject_for(entry.object_type, entry.object_id)
                if subject is None:
                    continue
                key, fernet = key_for(subject)
                try:
                    verbose = str(apps.get_model(entry.object_type)._meta.verbose_name)
                except (LookupError, ValueError):
                    verbose = entry.object_type
                entry.subject_type, entry.subject_id = subject
                entry.key = key
                entry.changes = {k: seal(fernet, v) for k, v in (entry.changes or {}).items()}
                entry.extra = {k: seal(fernet, v) for k, v in (entry.extra or {}).items()}
                if entry.object_repr:
                    entry.sealed_label = fernet.encrypt(entry.object_repr.encode()).decode()
                entry.object_repr = f"{verbose.capitalize()} n° {entry.object_id}"[:200]
                changed.append(entry)
            AuditEntry.objects.bulk_update(
                changed,
                ["subject_type", "subject_id", "key", "changes", "extra", "sealed_label",
                 "object_repr"],
            )  # fmt: skip
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE centre_auditentry ENABLE TRIGGER centre_auditentry_append_only"
            )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # The persons already anonymised: their keys go now (and those of their outreach persons).
    Patient = apps.get_model("patients", "Patient")
    anonymised = Patient.objects.filter(anonymised_at__isnull=False)
    gone = [str(pk) for pk in anonymised.values_list("pk", flat=True)]
    persons: list[str] = []
    try:
        Person = apps.get_model("outreach", "Person")
        persons = [
            str(pk)
            for pk in Person.objects.filter(patient__anonymised_at__isnull=False).values_list(
                "pk", flat=True
            )
        ]
    except LookupError:
        pass
    query = models.Q(subject_type=PATIENT, subject_id__in=gone) | models.Q(
        subject_type=PERSON, subject_id__in=persons
    )
    JournalKey.objects.filter(query, destroyed_at=None).update(
        secret=None, destroyed_at=timezone.now()
    )


class Migration(migrations.Migration):
    # The objects of every app are read to find whom each old entry is about.
    dependencies = [
        ("centre", "0010_pv_audit_list_ids"),
        ("patients", "0004_not_duplicate_pair"),
        ("appointments", "0004_appointment_forced"),
        ("billing", "0003_versions_and_async_returns"),
        ("outreach", "0005_participation_moved_to_own_app"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]

"""Crypto-shredding of the journal: the personal values of an entry are sealed with a key
per person, held outside the journal (`centre.JournalKey`).

- `subject_of(obj)` says which person an object is about: a patient (`patients.patient`), or a
  person met in outreach (`outreach.person`), found through the object's own foreign keys
  (an appointment's patient, a claim's invoice's patient, a referral's person…).
- `seal_entry` replaces every value of `changes` and `extra` by `{"sealed": <Fernet token>}`
  (field names stay readable: « which fields changed » survives erasure) and the object's
  label by a pseudonym (« Patient·e n° 12 ») with the real label sealed beside it.
- `unseal` (called by `AuditEntryQuerySet` on every load) decrypts with the key when it
  still exists, and puts « [effacé] » where the key was destroyed.
- `keys_destroy` is what erasure calls: the key's secret is emptied, for good. The journal
  itself is never rewritten (append-only).

Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`) is authenticated encryption: a value
cannot be altered without the key either.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from centre.models import AuditEntry, JournalKey

ERASED = "[effacé]"
SEALED = "sealed"
PATIENT = "patients.patient"
PERSON = "outreach.person"

# Foreign keys followed, in order, to find whom an object is about.
_DIRECT = (("patient", PATIENT), ("person", PERSON))
_THROUGH = ("appointment", "invoice", "claim", "entry", "session", "file")

Subject = tuple[str, str]


def _fk_id(obj: models.Model, name: str) -> Any:
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not isinstance(field, models.ForeignKey):  # OneToOneField is one too
        return None
    return getattr(obj, field.attname, None)


def subject_of(obj: models.Model | None, _depth: int = 0) -> Subject | None:
    """The person `obj` is about, as (subject_type, subject_id), or None."""
    if obj is None or _depth > 3:
        return None
    label = obj._meta.label_lower
    if label in (PATIENT, PERSON):
        return (label, str(obj.pk)) if obj.pk is not None else None
    for name, kind in _DIRECT:
        pk = _fk_id(obj, name)
        if pk is not None:
            return (kind, str(pk))
    for name in _THROUGH:
        if _fk_id(obj, name) is not None:
            return subject_of(getattr(obj, name), _depth + 1)
    return None


def pseudonym(obj: models.Model) -> str:
    """The label an entry keeps for good: the kind of object and its number, no identity."""
    return f"{str(obj._meta.verbose_name).capitalize()} n° {obj.pk}"[:200]


def live_key(subject: Subject) -> JournalKey:
    """The person's current key, created on first use (one live key per person, enforced by
    a partial unique constraint; a concurrent creation is absorbed)."""
    from centre.models import JournalKey

    kind, pk = subject
    key = JournalKey.objects.filter(subject_type=kind, subject_id=pk, destroyed_at=None).first()
    if key is not None:
        return key
    JournalKey.objects.bulk_create(
        [JournalKey(subject_type=kind, subject_id=pk, secret=Fernet.generate_key())],
        ignore_conflicts=True,
    )
    return JournalKey.objects.get(subject_type=kind, subject_id=pk, destroyed_at=None)


def _fernet(key: JournalKey) -> Fernet | None:
    secret = key.secret
    if not secret:
        return None
    return Fernet(bytes(secret))


def _seal(fernet: Fernet, value: Any) -> dict[str, str]:
    token = fernet.encrypt(json.dumps(value, ensure_ascii=False).encode())
    return {SEALED: token.decode()}


def _is_sealed(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {SEALED}


def seal_entry(
    key: JournalKey, *, changes: Mapping[str, Any], extra: Mapping[str, Any], label: str
) -> tuple[dict[str, Any], dict[str, Any], str]:
    fernet = _fernet(key)
    assert fernet is not None, "a live key has a secret"
    return (
        {name: _seal(fernet, value) for name, value in changes.items()},
        {name: _seal(fernet, value) for name, value in extra.items()},
        fernet.encrypt(label.encode()).decode() if label else "",
    )


def _open(fernet: Fernet | None, value: Any, erased: Any) -> Any:
    if not _is_sealed(value):
        return value
    if fernet is None:
        return erased
    try:
        return json.loads(fernet.decrypt(value[SEALED].encode()))
    except InvalidToken:
        return erased


def unseal(entries: Sequence[AuditEntry]) -> None:
    """Decrypt, in memory, the entries just loaded (one query for all their keys)."""
    from centre.models import AuditEntry, JournalKey

    key_ids = {e.key_id for e in entries if isinstance(e, AuditEntry) and e.key_id}
    keys = {k.pk: k for k in JournalKey.objects.filter(pk__in=key_ids)} if key_ids else {}
    for entry in entries:
        if not isinstance(entry, AuditEntry):
            return
        entry.object_label = entry.object_repr
        if not entry.key_id:
            continue
        key = keys.get(entry.key_id)
        fernet = _fernet(key) if key is not None else None
        entry.changes = {
            name: _open(fernet, value, [ERASED, ERASED]) for name, value in entry.changes.items()
        }
        entry.extra = {name: _open(fernet, value, ERASED) for name, value in entry.extra.items()}
        if entry.sealed_label:
            label = ERASED
            if fernet is not None:
                with contextlib.suppress(InvalidToken):
                    label = fernet.decrypt(entry.sealed_label.encode()).decode()
            entry.object_label = f"{label} ({entry.object_repr})"


def keys_destroy(subjects: Iterable[Subject]) -> int:
    """Destroy every key of these persons (erasure): their entries become unreadable."""
    from centre.models import JournalKey

    query = models.Q(pk__in=[])
    for kind, pk in subjects:
        query |= models.Q(subject_type=kind, subject_id=str(pk))
    return JournalKey.objects.filter(query, destroyed_at=None).update(
        secret=None, destroyed_at=timezone.now()
    )

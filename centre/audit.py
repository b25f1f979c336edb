"""The audit journal: one helper every service calls inside its transaction.

Usage from a service::

    with transaction.atomic():
        before = audit.snapshot(patient, FIELDS)
        ...change and save...
        audit.record(actor=user, action="patient.update", obj=patient,
                     changes=audit.diff(before, audit.snapshot(patient, FIELDS)))

A correction that sets new values takes its changes from `audit.assign(obj, values, FIELDS)`
(the same snapshot, set and diff in one call).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models

from centre import journal_keys, request_context
from centre.models import AuditEntry, User


class AuditOutsideTransaction(RuntimeError):
    """A write was audited outside `transaction.atomic()`: the entry and the change it
    describes could then be saved one without the other."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Values of `fields` on `obj`, as JSON-ready values (foreign keys as ids)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _jsonable(getattr(obj, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {
        key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)
    }


def assign(
    obj: models.Model, values: Mapping[str, Any], fields: Iterable[str]
) -> dict[str, list[Any]]:
    """Set `values` on `obj` (nothing saved) and return what changed among `fields`, as `diff`
    gives it: what a correction journals, and the `update_fields` it saves."""
    fields = list(fields)
    before = snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    return diff(before, snapshot(obj, fields))


def record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    require_transaction: bool = True,
    object_type: str = "",
    subject: journal_keys.Subject | None = None,
    is_read: bool = False,
) -> AuditEntry:
    """Append one entry to the journal.

    Writes must be audited inside the transaction that makes them (so that both or neither
    are saved): `require_transaction` is only turned off for reads and exports, which change
    nothing else.

    An entry about a person (`subject`, found from `obj` when not given) is sealed with the
    person's key (`centre.journal_keys`): its stored `changes`, `extra` and label carry no
    identity, and erasure makes them unreadable by destroying the key.
    """
    if require_transaction and not connection.in_atomic_block:
        raise AuditOutsideTransaction(
            f"L'action « {action} » doit être journalisée dans sa transaction."
        )
    ctx = request_context.current.get()
    real_actor = actor if isinstance(actor, User) else None
    clear_changes = _jsonable_mapping(changes or {})
    clear_extra = _jsonable_mapping(extra or {})
    label = str(obj)[:200] if obj is not None else ""
    if subject is None:
        subject = journal_keys.subject_of(obj)
    stored_changes, stored_extra, stored_label, sealed_label = (
        clear_changes,
        clear_extra,
        label,
        "",
    )
    key = None
    if subject is not None:
        # About a person: values sealed with the person's key, the label a pseudonym.
        key = journal_keys.live_key(subject)
        stored_changes, stored_extra, sealed_label = journal_keys.seal_entry(
            key, changes=clear_changes, extra=clear_extra, label=label
        )
        stored_label = journal_keys.pseudonym(obj) if obj is not None else ""
    entry = AuditEntry.objects.create(
        actor=real_actor,
        actor_label=real_actor.email if real_actor else "système",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=stored_label,
        changes=stored_changes,
        extra=stored_extra,
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
        subject_type=subject[0] if subject else "",
        subject_id=subject[1] if subject else "",
        key=key,
        sealed_label=sealed_label,
        is_read=is_read,
    )
    # The caller gets the entry as a reader would see it: unsealed.
    entry.changes, entry.extra = clear_changes, clear_extra
    entry.object_label = f"{label} ({stored_label})" if key is not None else label
    return entry


def record_read(
    *, actor: User | AnonymousUser, action: str, obj: models.Model, **extra: Any
) -> AuditEntry:
    """Log a read of sensitive data (a patient record, an export)."""
    return record(
        actor=actor,
        action=action,
        obj=obj,
        extra=extra,
        require_transaction=False,
        is_read=True,
    )


def record_list_read(
    *,
    actor: User | AnonymousUser,
    action: str,
    model: type[models.Model],
    ids: Sequence[Any],
    **extra: Any,
) -> AuditEntry:
    """Log a list or a search that showed sensitive records: one entry naming which records
    were shown (`extra["ids"]`, in the order shown), so that « who saw this person » can be
    answered for lists too. Pages and the API call it through the same selector, with the
    same action, so both doors leave the same entry."""
    return record(
        actor=actor,
        action=action,
        changes=None,
        extra={"ids": [str(pk) for pk in ids], "count": len(ids), **extra},
        require_transaction=False,
        object_type=model._meta.label_lower,
        is_read=True,
    )


def _jsonable_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(k): _jsonable(v) if not isinstance(v, Mapping) else _jsonable_mapping(v)
        for k, v in data.items()
    }


def purge_old_reads(keep_days: int | None = None) -> int:
    """Delete the read entries older than `keep_days` (AUDIT_READ_RETENTION_DAYS) through the
    database function `centre_audit_purge_reads` (migration 0009), the only way to delete
    from the journal; it journals the purge itself. Returns the number of entries deleted."""
    from django.conf import settings
    from django.db import transaction

    days = keep_days if keep_days is not None else settings.AUDIT_READ_RETENTION_DAYS
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT centre_audit_purge_reads(%s)", [days])
        return int(cursor.fetchone()[0])

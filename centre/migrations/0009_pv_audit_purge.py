"""Retention of the journal as code: reads older than AUDIT_READ_RETENTION_DAYS are deleted by
one database function, `centre_audit_purge_reads(keep_days)`, and by nothing else.

- The append-only trigger (migration 0002) now lets a DELETE through only for a read entry
  (`is_read`) older than the cut-off that the purge function sets for its own transaction
  (`passerelle.audit_purge_before`, a transaction-local setting). Writes are never deleted,
  and no UPDATE is ever allowed.
- The function is SECURITY DEFINER: it runs with the rights of its owner (the role that runs
  the migrations), so the application's role needs no DELETE privilege on the journal.
- The purge journals itself, in the same transaction: an entry `audit.purge_reads` with the
  number of entries deleted, the retention and the cut-off.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION centre_auditentry_refuse_change() RETURNS trigger AS $$
DECLARE
    cutoff text := current_setting('passerelle.audit_purge_before', true);
BEGIN
    IF TG_OP = 'DELETE' AND OLD.is_read AND coalesce(cutoff, '') <> ''
       AND OLD.at < cutoff::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'Le journal d''audit est en ajout seul : % refusé.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION centre_audit_purge_reads(keep_days integer) RETURNS integer
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    cutoff timestamptz;
    deleted integer;
BEGIN
    IF keep_days IS NULL OR keep_days < 1 THEN
        RAISE EXCEPTION 'Durée de conservation invalide : %', keep_days;
    END IF;
    cutoff := now() - make_interval(days => keep_days);
    PERFORM set_config('passerelle.audit_purge_before', cutoff::text, true);
    DELETE FROM centre_auditentry WHERE is_read AND at < cutoff;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    PERFORM set_config('passerelle.audit_purge_before', '', true);
    INSERT INTO centre_auditentry (at, actor_id, actor_label, action, object_type, object_id,
        object_repr, changes, extra, request_id, ip)
    VALUES (now(), NULL, 'système', 'audit.purge_reads', '', '', '', '{}'::jsonb,
        jsonb_build_object('deleted', deleted, 'keep_days', keep_days,
                           'before', to_char(cutoff AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
        '', NULL);
    RETURN deleted;
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS centre_audit_purge_reads(integer);
CREATE OR REPLACE FUNCTION centre_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le journal d''audit est en ajout seul : % refusé.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("centre", "0008_pv_journal_keys")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""The audit journal is append-only, enforced by PostgreSQL: UPDATE and DELETE raise.

TRUNCATE is left to the table owner (test database flushes, a deliberate purge after the
documented retention period, run by an administrator)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION centre_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le journal d''audit est en ajout seul : % refusé.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER centre_auditentry_append_only
    BEFORE UPDATE OR DELETE ON centre_auditentry
    FOR EACH ROW EXECUTE FUNCTION centre_auditentry_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS centre_auditentry_append_only ON centre_auditentry;
DROP FUNCTION IF EXISTS centre_auditentry_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("centre", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

#!/bin/sh
# Restore an encrypted backup (deploy/backup.sh) into an EMPTY database.
#   restore.sh FILE            into $RESTORE_DATABASE_URL (default: $DATABASE_URL)
#   BACKUP_PASSPHRASE_FILE / BACKUP_PASSPHRASE as for the backup.
# Owner and rights are not taken from the dump (--no-owner --no-acl): objects belong to the
# restoring role (the owner); run `manage.py setup_db_roles` afterwards for the runtime role
# (`make restore` does).
set -eu
file="${1:?usage : restore.sh FICHIER.dump.gpg}"
url="${RESTORE_DATABASE_URL:-${DATABASE_URL:?DATABASE_URL manquant}}"
umask 077
passfile="${BACKUP_PASSPHRASE_FILE:-}"
if [ -z "$passfile" ]; then
  : "${BACKUP_PASSPHRASE:?BACKUP_PASSPHRASE ou BACKUP_PASSPHRASE_FILE manquant}"
  passfile="$(mktemp)"
  trap 'rm -f "$passfile"' EXIT
  printf '%s' "$BACKUP_PASSPHRASE" > "$passfile"
fi
count="$(psql "$url" -XAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$count" != "0" ]; then
  echo "La base cible n'est pas vide ($count tables) : restauration refusée." >&2
  exit 1
fi
dump="$(mktemp)"
trap 'rm -f "$dump"; [ -z "${BACKUP_PASSPHRASE_FILE:-}" ] && rm -f "$passfile"' EXIT
gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$passfile" \
    --decrypt --output - "$file" > "$dump"
pg_restore --no-owner --no-acl --exit-on-error --single-transaction -d "$url" "$dump"
echo "Restauré : $file"

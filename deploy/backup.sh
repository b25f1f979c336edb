#!/bin/sh
# Encrypted PostgreSQL backup: pg_dump (custom format) piped into gpg (AES-256, passphrase),
# written to $BACKUP_DIR, then files older than $BACKUP_RETENTION_DAYS deleted.
# Used by `make backup` and by the `backup` service of docker-compose.yml (docs/security.md).
#   DATABASE_URL            database to dump (the owner: it reads every table)
#   BACKUP_DIR              where the files go (default ./var/backups)
#   BACKUP_PASSPHRASE_FILE  file holding the passphrase (or BACKUP_PASSPHRASE)
#   BACKUP_RETENTION_DAYS   default 30
# Prints the path of the file written.
set -eu
: "${DATABASE_URL:?DATABASE_URL manquant}"
dir="${BACKUP_DIR:-./var/backups}"
days="${BACKUP_RETENTION_DAYS:-30}"
mkdir -p "$dir"
umask 077
passfile="${BACKUP_PASSPHRASE_FILE:-}"
if [ -z "$passfile" ]; then
  : "${BACKUP_PASSPHRASE:?BACKUP_PASSPHRASE ou BACKUP_PASSPHRASE_FILE manquant}"
  passfile="$(mktemp)"
  trap 'rm -f "$passfile"' EXIT
  printf '%s' "$BACKUP_PASSPHRASE" > "$passfile"
fi
stamp="$(date -u +%Y%m%d-%H%M%S)"
target="$dir/passerelle-$stamp.dump.gpg"
partial="$target.partial"
# pipefail is not POSIX: check pg_dump's own status through a marker file.
status="$(mktemp)"
{ pg_dump --format=custom --no-owner --no-acl "$DATABASE_URL" || echo failed > "$status"; } \
  | gpg --batch --yes --quiet --pinentry-mode loopback --passphrase-file "$passfile" \
        --symmetric --cipher-algo AES256 --output "$partial"
if [ -s "$status" ]; then
  rm -f "$partial" "$status"
  echo "pg_dump a échoué : aucune sauvegarde écrite." >&2
  exit 1
fi
rm -f "$status"
mv "$partial" "$target"
# Retention: the oldest files go, never the one just written.
find "$dir" -maxdepth 1 -name 'passerelle-*.dump.gpg' -mtime "+$days" ! -path "$target" -delete
echo "$target"

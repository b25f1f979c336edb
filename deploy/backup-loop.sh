#!/bin/sh
# The docker-compose `backup` service: one encrypted backup at start, then every
# $BACKUP_INTERVAL_SECONDS (default one day).
set -eu
while true; do
  /usr/local/bin/passerelle-backup || echo "Sauvegarde échouée ($(date -u))." >&2
  sleep "${BACKUP_INTERVAL_SECONDS:-86400}"
done

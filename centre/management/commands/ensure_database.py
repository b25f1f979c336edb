"""Create the configured PostgreSQL database if it is missing, or explain what to do when no
PostgreSQL answers (used by `make run` before `migrate`)."""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql
from psycopg.conninfo import make_conninfo

HELP_NO_SERVER = """\
Aucun serveur PostgreSQL ne répond à {where}.

Passerelle a besoin de PostgreSQL 15 ou plus récent. Au choix :
  1. installez-le sur cette machine :  sudo apt-get install postgresql
     puis relancez `make run` ;
  2. indiquez un serveur existant :    export DATABASE_URL=postgres://utilisateur:motdepasse@hôte:5432/passerelle
  3. démarrez celui du projet :        docker compose up -d db redis
     puis  export DATABASE_URL=postgres://passerelle:passerelle@127.0.0.1:5432/passerelle

Détail : {error}"""


class Command(BaseCommand):
    help = "Crée la base de données PostgreSQL configurée si elle n'existe pas."

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASE_OWNER  # the owner creates the database, not the runtime role
        name = db["NAME"]
        host, port = db.get("HOST") or "", str(db.get("PORT") or "")
        params: dict[str, str] = {
            "host": host,
            "port": port,
            "user": db.get("USER") or "",
            "password": db.get("PASSWORD") or "",
            "connect_timeout": "5",
        }
        params = {k: v for k, v in params.items() if v}
        where = f"{host or 'socket local'}:{port or 5432}"
        try:
            with psycopg.connect(make_conninfo(dbname=name, **params)):
                self.stdout.write(f"Base de données « {name} » : présente.")
                return
        except psycopg.OperationalError as error:
            if f'database "{name}" does not exist' not in str(error):
                if "Connection refused" in str(error) or "timeout" in str(error).lower():
                    raise CommandError(HELP_NO_SERVER.format(where=where, error=error)) from None
                raise CommandError(f"Connexion à PostgreSQL impossible : {error}") from None
        try:
            with psycopg.connect(
                make_conninfo(dbname="postgres", **params), autocommit=True
            ) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as error:
            raise CommandError(
                f"La base « {name} » n'existe pas et n'a pas pu être créée : {error}"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Base de données « {name} » créée."))

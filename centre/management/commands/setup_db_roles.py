"""Create (or bring up to date) the application's runtime PostgreSQL role and its rights.

Run as the OWNER of the tables (DATABASE_URL), after `migrate`: `make run`, `make test`'s role
test and docker-compose's `migrate` service call it. The runtime role (DATABASE_APP_USER) may
read and write the business tables, but on the audit journal only SELECT and INSERT: no
UPDATE, DELETE, TRUNCATE, and since it neither owns the table nor is a superuser it cannot
`ALTER TABLE … DISABLE TRIGGER` the append-only trigger either (docs/security.md).

Idempotent: the role's password and rights are set again at each run, and tables created by
later migrations get the same rights (ALTER DEFAULT PRIVILEGES); the journal's restriction is
applied again at each run.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from psycopg import sql
from psycopg.conninfo import make_conninfo

# Tables the runtime role may only read and append to.
JOURNAL_TABLES = ("centre_auditentry",)


def owner_conninfo(dbname: str | None = None) -> str:
    db = settings.DATABASE_OWNER
    params = {
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "connect_timeout": "5",
    }
    return make_conninfo(dbname=dbname or db["NAME"], **{k: v for k, v in params.items() if v})


def setup_roles(conn: psycopg.Connection[Any], *, role: str, password: str) -> list[str]:
    """Apply the rights on the database `conn` is connected to, as its owner. Returns the
    journal tables restricted (those that exist)."""
    ident = sql.Identifier(role)
    owner, dbname = conn.execute("SELECT current_user, current_database()").fetchone() or ("", "")
    if role == owner:
        raise CommandError("Le rôle d'exécution doit être distinct du propriétaire des tables.")
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
    conn.execute(
        sql.SQL(
            "ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
            " NOBYPASSRLS PASSWORD {}"
        ).format(ident, sql.Literal(password) if password else sql.SQL("NULL"))
    )
    statements = [
        "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
        "GRANT USAGE ON SCHEMA public TO {role}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "REVOKE CREATE ON SCHEMA public FROM {role}",
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public"
        " GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
    ]
    for statement in statements:
        conn.execute(
            sql.SQL(statement).format(
                db=sql.Identifier(dbname), role=ident, owner=sql.Identifier(owner)
            )
        )
    restricted = []
    for table in JOURNAL_TABLES:
        found = conn.execute("SELECT to_regclass(%s)", [f"public.{table}"]).fetchone()
        if found and found[0] is not None:
            conn.execute(
                sql.SQL(
                    "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}"
                ).format(sql.Identifier(table), ident)
            )
            restricted.append(table)
    return restricted


class Command(BaseCommand):
    help = (
        "Crée ou met à jour le rôle PostgreSQL d'exécution (DATABASE_APP_USER) : lecture et "
        "écriture des tables, journal en lecture et ajout seuls."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default=None, help="défaut : DATABASE_APP_USER")
        parser.add_argument("--password", default=None, help="défaut : DATABASE_APP_PASSWORD")
        parser.add_argument("--dbname", default=None, help="défaut : la base de DATABASE_URL")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"] or settings.DATABASE_APP_USER
        if not role:
            self.stdout.write(
                "DATABASE_APP_USER n'est pas défini : l'application se connecte avec "
                "DATABASE_URL (aucun rôle d'exécution à préparer)."
            )
            return
        password = (
            options["password"]
            if options["password"] is not None
            else settings.DATABASE_APP_PASSWORD
        )
        try:
            with (
                psycopg.connect(owner_conninfo(options["dbname"]), autocommit=True) as conn,
                conn.transaction(),
            ):
                restricted = setup_roles(conn, role=role, password=password)
        except psycopg.Error as error:
            raise CommandError(f"Préparation du rôle « {role} » impossible : {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Rôle d'exécution « {role} » prêt ; journal en lecture et ajout seuls : "
                f"{', '.join(restricted) or 'aucune table encore (lancez migrate)'}."
            )
        )

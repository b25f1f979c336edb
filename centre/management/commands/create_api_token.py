from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from centre.models import User
from centre.refusals import Refusal
from centre.services import api_tokens


class Command(BaseCommand):
    help = (
        "Crée un jeton d'API pour un compte et l'affiche (une seule fois : seule son empreinte "
        "est gardée). Chacun peut aussi créer les siens sur la page « Jetons d'API »."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="Ligne de commande", help="Nom du jeton.")
        parser.add_argument("--days", type=int, default=None, help="Durée de validité (jours).")
        parser.add_argument(
            "--revoke-others", action="store_true", help="Révoque d'abord ses autres jetons."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(email__iexact=options["email"])
        except User.DoesNotExist:
            raise CommandError(f"Aucun compte avec l'adresse {options['email']}.") from None
        try:
            if options["revoke_others"]:
                api_tokens.token_revoke_all(by=None, owner=user, reason="command")
            _token, key = api_tokens.token_create(
                by=None, owner=user, name=options["name"], days=options["days"]
            )
        except Refusal as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(key)

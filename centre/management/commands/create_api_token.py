from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from centre import audit
from centre.models import User


class Command(BaseCommand):
    help = "Affiche le jeton d'API d'un compte (créé s'il n'existe pas)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--renew", action="store_true", help="Remplace le jeton existant.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(email__iexact=options["email"])
        except User.DoesNotExist:
            raise CommandError(f"Aucun compte avec l'adresse {options['email']}.") from None
        if not user.is_active:
            raise CommandError("Ce compte est désactivé : aucun jeton n'est délivré.")
        with transaction.atomic():
            if options["renew"]:
                Token.objects.filter(user=user).delete()
            token, created = Token.objects.get_or_create(user=user)
            if created:
                audit.record(actor=None, action="api_token.create", obj=user)
        self.stdout.write(token.key)

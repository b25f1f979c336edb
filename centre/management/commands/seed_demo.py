from __future__ import annotations

import importlib
import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from centre import demo

# Each app that has demo data exposes `demo.seed(org, rng)`; called in this order.
# Outreach books (and closes) some referral appointments: billing must come after it.
APP_SEEDS = ("patients", "appointments", "outreach", "billing")


class Command(BaseCommand):
    help = "Charge (ou complète) le centre de démonstration. Peut être relancée sans doublon."

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(2026)  # same demo on every machine
        with transaction.atomic():
            org = demo.seed_organisation()
            for app in APP_SEEDS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{app}.demo":
                        raise
                    continue
                summary = module.seed(org, rng)
                if summary:
                    self.stdout.write(f"  {app} : {summary}")
        self.stdout.write(self.style.SUCCESS(f"Centre de démonstration prêt : {org.centre.name}"))
        self.stdout.write("")
        self.stdout.write(f"Comptes de démonstration (mot de passe : {settings.DEMO_PASSWORD})")
        for email, user in org.users.items():
            roles = ", ".join(sorted(user.roles))
            line = f"  {email:<32} {roles}"
            if email in org.totp_secrets:
                line += (
                    f"  — code TOTP (application d'authentification) : {org.totp_secrets[email]}"
                )
            self.stdout.write(line)

"""Template lint: compile every project and app template so a syntax error or an unknown tag
fails `make quality` instead of a page in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template import TemplateSyntaxError
from django.template.loader import get_template


class Command(BaseCommand):
    help = "Compile tous les gabarits du projet."

    def handle(self, *args: Any, **options: Any) -> None:
        template_dirs: list[Path] = list(settings.TEMPLATES[0]["DIRS"])  # type: ignore[call-overload]
        roots = [Path(d) for d in template_dirs]
        project_apps = ("centre", "patients", "appointments", "billing", "outreach")
        roots += [Path(apps.get_app_config(a).path) / "templates" for a in project_apps]
        errors: list[str] = []
        count = 0
        for root in roots:
            for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
                name = path.relative_to(root).as_posix()
                count += 1
                try:
                    get_template(name)
                except TemplateSyntaxError as error:
                    errors.append(f"{path}: {error}")
        if errors:
            raise CommandError("Gabarits invalides :\n" + "\n".join(errors))
        self.stdout.write(f"{count} gabarits compilés sans erreur.")

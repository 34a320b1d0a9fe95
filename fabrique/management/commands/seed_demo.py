"""Load the demo data of every app (idempotent: a second run changes nothing).

Each app may have a `demo` module with `seed(out) -> None`; they run in
INSTALLED_APPS order, so that lower layers seed first and no layer imports a
higher one.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = "Charge les données de démonstration (Fabriques, organisations, comptes de démonstration)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Autorise le chargement avec DEBUG désactivé (préproduction de démonstration).",
        )

    def handle(self, *args: Any, allow_production: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG est désactivé : les comptes de démonstration n'ont rien à faire en production. "
                "Utilisez --allow-production pour une instance de démonstration."
            )
        for app_config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{app_config.name}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)

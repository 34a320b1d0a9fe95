"""`manage.py import_catalogue FILE [--dry-run]`: import aids and structures (platform staff)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accompaniment.catalogue.importing import ImportPolicy, catalogue_import, iter_error_lines


class Command(BaseCommand):
    help = (
        "Importe des aides et des structures depuis un fichier CSV ou XLSX (colonnes : voir "
        "accompaniment/catalogue/exporting.py). L'identifiant (slug) est la clé : une ligne existante est mise à jour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Fichier .csv ou .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="Vérifie et compte sans rien enregistrer.")

    def handle(self, *args: Any, file: str, dry_run: bool = False, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        report = catalogue_import(content=path.read_bytes(), filename=path.name, policy=ImportPolicy(), dry_run=dry_run)
        for line in iter_error_lines(report):
            self.stderr.write(line)
        self.stdout.write(report.summary() + ".")
        if not report.ok and not (report.created or report.updated or report.unchanged):
            raise CommandError("Aucune ligne valide.")

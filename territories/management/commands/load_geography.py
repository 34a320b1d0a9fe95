"""`manage.py load_geography`: load or update the official geography (see territories.geography_loader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territories.geography_loader import DATA_DIR, GeographyFileError, GeographyReport, geography_load


class Command(BaseCommand):
    help = (
        "Charge ou met à jour régions, départements, EPCI, communes et QPV depuis les données ouvertes "
        "(idempotent : un second passage ne change rien)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DATA_DIR,
            help="Dossier des fichiers CSV (par défaut : territories/data).",
        )
        parser.add_argument(
            "--qpv",
            type=Path,
            default=None,
            metavar="FICHIER",
            help="GeoJSON des QPV au format de l'export ANCT (par défaut : celui du dossier de données).",
        )
        parser.add_argument(
            "--departements",
            default=None,
            metavar="CODES",
            help="Limite communes et QPV à ces départements, séparés par des virgules (ex. 59,62,54).",
        )

    def handle(self, *args: Any, data_dir: Path, qpv: Path | None, departements: str | None, **options: Any) -> None:
        only = [code.strip() for code in departements.split(",") if code.strip()] if departements else None
        try:
            report = geography_load(data_dir=data_dir, qpv_file=qpv, departments=only)
        except GeographyFileError as error:
            raise CommandError(f"Rien n'a été chargé : {error}") from error
        self._print(report)

    def _print(self, report: GeographyReport) -> None:
        header = ("table", "créés", "mis à jour", "inchangés", "rejetés", "absents du fichier")
        rows = [
            (t.table, str(t.created), str(t.updated), str(t.unchanged), str(t.rejected), str(t.absent))
            for t in report.tables
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            self.stdout.write("  ".join(cells))
        qpv = report.table("QPV")
        if qpv.links_added or qpv.links_removed:
            self.stdout.write(
                f"Liens QPV–communes et QPV–EPCI : {qpv.links_added} ajoutés, {qpv.links_removed} retirés."
            )
        for rejection in report.rejections:
            self.stderr.write(f"Rejeté — {rejection}")
        summary = f"Géographie chargée en {report.seconds:.1f} s"
        if report.rejections:
            summary += f" ; {len(report.rejections)} ligne(s) rejetée(s), voir ci-dessus"
        self.stdout.write(self.style.SUCCESS(summary + "."))

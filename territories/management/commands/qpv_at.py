"""`manage.py qpv_at LAT LON`: the QPV containing a point, as `CODE Name`, or `none`."""

from __future__ import annotations

import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from territories.qpv_lookup import qpv_at


class Command(BaseCommand):
    help = "Affiche le QPV qui contient le point (latitude, longitude en degrés WGS84) : « CODE Nom », ou « none »."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("latitude", type=float, help="Latitude en degrés décimaux, ex. 50.6942")
        parser.add_argument("longitude", type=float, help="Longitude en degrés décimaux, ex. 3.1746")

    def handle(self, *args: Any, latitude: float, longitude: float, **options: Any) -> None:
        if not (math.isfinite(latitude) and -90 <= latitude <= 90):
            raise CommandError(f"Latitude hors limites : {latitude} (entre -90 et 90).")
        if not (math.isfinite(longitude) and -180 <= longitude <= 180):
            raise CommandError(f"Longitude hors limites : {longitude} (entre -180 et 180).")
        qpv = qpv_at(latitude, longitude)
        self.stdout.write("none" if qpv is None else f"{qpv.code} {qpv.name}")

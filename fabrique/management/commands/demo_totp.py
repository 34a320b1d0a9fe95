"""Print the current one-time code of the demo accounts (they share the demo TOTP secret)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from fabrique.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Affiche le code à usage unique actuel des comptes de démonstration."

    def handle(self, *args: Any, **options: Any) -> None:
        now = int(time.time())
        counter = now // app_settings.TOTP_PERIOD
        remaining = app_settings.TOTP_PERIOD - now % app_settings.TOTP_PERIOD
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        self.stdout.write(f"{code}  (valable encore {remaining} s)")

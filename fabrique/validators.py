"""Validators for French identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# La Poste's establishments share one SIREN and do not follow the Luhn rule.
LA_POSTE_SIREN = "356000000"


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_siret(value: str) -> None:
    if not value.isdigit() or len(value) != 14:
        raise ValidationError(_("Un SIRET compte 14 chiffres."), code="siret_format")
    if value.startswith(LA_POSTE_SIREN):
        if sum(int(c) for c in value) % 5 != 0:
            raise ValidationError(_("Ce SIRET n'est pas valide (clé de contrôle)."), code="siret_checksum")
        return
    if not luhn_valid(value):
        raise ValidationError(_("Ce SIRET n'est pas valide (clé de contrôle)."), code="siret_checksum")

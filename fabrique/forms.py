"""Forms of the platform layer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fabrique.models import Fabrique, FabriqueTarget


def form_add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's validation error shown on the form that called it (never a 500): errors on a
    field the form has go to that field, the others to the form."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class FabriqueTargetForm(forms.ModelForm):
    class Meta:
        model = FabriqueTarget
        fields = ["indicator", "value", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, fabrique: Fabrique, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fabrique = fabrique
        self.instance.fabrique = fabrique

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("La fin de période doit suivre son début."))
        indicator, value = cleaned.get("indicator"), cleaned.get("value")
        if value is not None and value < 0:
            self.add_error("value", _("La valeur cible ne peut être négative."))
        if indicator == FabriqueTarget.Indicator.CREATION_RATE and value is not None and value > 100:
            self.add_error("value", _("Un taux ne peut dépasser 100 %."))
        if indicator and starts_on:
            duplicate = (
                FabriqueTarget.objects.for_fabrique(self.fabrique)
                .filter(indicator=indicator, starts_on=starts_on)
                .exclude(pk=self.instance.pk)
            )
            if duplicate.exists():
                self.add_error("starts_on", _("Un objectif existe déjà pour cet indicateur et ce début de période."))
        return cleaned

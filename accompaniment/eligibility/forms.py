"""Forms of the address check: the address, then, when the BAN cannot answer, the declaration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from territories.models import QPV, AddressCheck, Commune

POSTCODE = RegexValidator(r"^\d{5}$", _("Le code postal compte 5 chiffres, par exemple 59100."))
ADDRESS_MAX_LENGTH = 200  # the BAN's limit for a query


def communes_for_postcode(postcode: str) -> QuerySet[Commune]:
    return Commune.objects.filter(postal_codes__contains=[postcode]).order_by("name", "insee")


class AddressForm(forms.Form):
    address = forms.CharField(
        label=_("Adresse"),
        max_length=ADDRESS_MAX_LENGTH,
        help_text=_("Le numéro et le nom de la voie, par exemple : 12 rue de l'Épeule."),
        error_messages={
            "required": _("Indiquez votre adresse."),
            "max_length": _("L'adresse ne doit pas dépasser %(limit_value)d caractères."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label=_("Code postal"),
        max_length=10,
        error_messages={"required": _("Indiquez votre code postal.")},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric", "size": 6}),
    )

    def clean_address(self) -> str:
        address = " ".join(self.cleaned_data["address"].split())
        if len(address) < 3:
            raise forms.ValidationError(_("L'adresse est trop courte : indiquez le numéro et le nom de la voie."))
        return address

    def clean_postcode(self) -> str:
        postcode = "".join(self.cleaned_data["postcode"].split())
        POSTCODE(postcode)
        if not communes_for_postcode(postcode).exists():
            raise forms.ValidationError(_("Ce code postal ne correspond à aucune commune."))
        return postcode


class _CarriedAddressForm(AddressForm):
    """The address already given, carried from step to step in hidden fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("address", "postcode"):
            self.fields[name].widget = forms.HiddenInput()


class CommuneForm(_CarriedAddressForm):
    """Several communes share the postcode: the person says which is theirs."""

    commune = forms.ModelChoiceField(
        label=_("Votre commune"),
        queryset=Commune.objects.none(),
        to_field_name="insee",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez votre commune."),
            "invalid_choice": _("Choisissez une des communes proposées."),
        },
    )

    def __init__(self, *args: Any, communes: QuerySet[Commune], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes  # type: ignore[attr-defined]


class DeclarationForm(_CarriedAddressForm):
    """The person's own answer: a QPV of their commune, none, or "I don't know"."""

    commune = forms.ModelChoiceField(queryset=Commune.objects.none(), to_field_name="insee", widget=forms.HiddenInput)
    answer = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez votre quartier, « aucun » ou « je ne sais pas »."),
            "invalid_choice": _(
                "Ce quartier n'est pas dans votre commune : choisissez un quartier de la liste, "
                "« aucun » ou « je ne sais pas »."
            ),
        },
    )

    def __init__(self, *args: Any, communes: QuerySet[Commune], commune: Commune, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_commune = commune
        self.fields["commune"].queryset = communes  # type: ignore[attr-defined]
        self.fields["commune"].initial = commune.insee
        self.fields["answer"].label = _("Habitez-vous dans l'un des quartiers prioritaires de %(commune)s ?") % {
            "commune": commune.name
        }
        self.qpvs: dict[str, QPV] = {qpv.code: qpv for qpv in commune.qpvs.order_by("name")}
        self.fields["answer"].choices = [  # type: ignore[attr-defined]
            *((code, f"{qpv.name} ({code})") for code, qpv in self.qpvs.items()),
            (AddressCheck.Declared.NONE.value, AddressCheck.Declared.NONE.label),
            (AddressCheck.Declared.UNKNOWN.value, AddressCheck.Declared.UNKNOWN.label),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        commune = cleaned.get("commune")
        if commune is not None and commune != self.chosen_commune:
            raise forms.ValidationError(_("La commune a changé : recommencez la vérification."))
        return cleaned

    def declared(self) -> tuple[AddressCheck.Declared, QPV | None]:
        """The answer and the QPV it names, once the form is valid."""
        answer = self.cleaned_data["answer"]
        if answer in self.qpvs:
            return AddressCheck.Declared.QPV, self.qpvs[answer]
        return AddressCheck.Declared(answer), None

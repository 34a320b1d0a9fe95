"""The « Quelle aide pour moi ? » questionnaire: one form, four fieldsets, every question optional
but the postcode. Works without JavaScript: when several communes share the postcode, the
form comes back with the communes to choose from."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accompaniment.eligibility.forms import ADDRESS_MAX_LENGTH, POSTCODE, communes_for_postcode
from accompaniment.vocabulary import ProjectKind, Sector, Situation, Stage
from territories.models import Commune

QPV_YES, QPV_NO, QPV_UNKNOWN = "yes", "no", "unknown"
AGE_MIN, AGE_MAX = 15, 100


def _optional_choices(choices: list[tuple[str, Any]], empty: str) -> list[tuple[str, Any]]:
    return [("", empty), *choices]


class QuestionnaireForm(forms.Form):
    # Where I live.
    postcode = forms.CharField(
        label=_("Code postal"),
        max_length=10,
        error_messages={"required": _("Indiquez votre code postal.")},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric", "size": 6}),
    )
    commune = forms.ModelChoiceField(
        label=_("Votre commune"),
        queryset=Commune.objects.none(),
        to_field_name="insee",
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choisissez une des communes proposées.")},
    )
    address = forms.CharField(
        label=_("Adresse"),
        max_length=ADDRESS_MAX_LENGTH,
        required=False,
        help_text=_(
            "Le numéro et le nom de la voie, pour savoir si vous habitez un quartier prioritaire. "
            "Elle n'est transmise qu'à la Base Adresse Nationale."
        ),
        error_messages={"max_length": _("L'adresse ne doit pas dépasser %(limit_value)d caractères.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    lives_in_qpv = forms.ChoiceField(
        label=_("Habitez-vous dans un quartier prioritaire (QPV) ?"),
        help_text=_("Si vous indiquez votre adresse, nous le vérifions pour vous."),
        choices=[(QPV_YES, _("Oui")), (QPV_NO, _("Non")), (QPV_UNKNOWN, _("Je ne sais pas"))],
        initial=QPV_UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choisissez « oui », « non » ou « je ne sais pas ».")},
    )
    # My situation.
    situation = forms.ChoiceField(
        label=_("Votre situation"),
        choices=_optional_choices(Situation.choices, str(_("Je préfère ne pas le dire"))),
        required=False,
        error_messages={"invalid_choice": _("Choisissez une situation de la liste.")},
    )
    age = forms.IntegerField(
        label=_("Votre âge"),
        required=False,
        min_value=AGE_MIN,
        max_value=AGE_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": 4}),
        error_messages={
            "invalid": _("Indiquez votre âge en chiffres, par exemple 32."),
            "min_value": _("L'âge doit être d'au moins %(limit_value)s ans."),
            "max_value": _("L'âge ne peut pas dépasser %(limit_value)s ans."),
        },
    )
    birth_year = forms.IntegerField(
        label=_("ou votre année de naissance"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": 6}),
        error_messages={"invalid": _("Indiquez l'année en chiffres, par exemple 1992.")},
    )
    # My project.
    stage = forms.ChoiceField(
        label=_("Où en est votre projet ?"),
        choices=_optional_choices(Stage.choices, str(_("Je ne sais pas"))),
        required=False,
        error_messages={"invalid_choice": _("Choisissez une étape de la liste.")},
    )
    sector = forms.ChoiceField(
        label=_("Dans quel secteur ?"),
        choices=_optional_choices(Sector.choices, str(_("Je ne sais pas encore"))),
        required=False,
        error_messages={"invalid_choice": _("Choisissez un secteur de la liste.")},
    )
    project_kind = forms.ChoiceField(
        label=_("Création ou reprise ?"),
        choices=_optional_choices(ProjectKind.choices, str(_("Je ne sais pas encore"))),
        required=False,
        error_messages={"invalid_choice": _("Choisissez « création » ou « reprise ».")},
    )
    business_age_months = forms.IntegerField(
        label=_("Si votre entreprise existe déjà : depuis combien de mois ?"),
        required=False,
        min_value=0,
        max_value=1200,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": 4}),
        error_messages={
            "invalid": _("Indiquez un nombre de mois, par exemple 6."),
            "min_value": _("Le nombre de mois ne peut pas être négatif."),
            "max_value": _("Le nombre de mois paraît trop grand."),
        },
    )

    FIELDSETS = (
        (_("Où j'habite"), ("postcode", "commune", "address", "lives_in_qpv")),
        (_("Ma situation"), ("situation", "age", "birth_year")),
        (_("Mon projet"), ("stage", "sector", "project_kind", "business_age_months")),
    )

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.communes: list[Commune] = []
        given = self.data.get("postcode", "") if self.is_bound else self.initial.get("postcode", "")
        postcode = "".join(str(given).split())
        if len(postcode) == 5 and postcode.isdigit():
            queryset: QuerySet[Commune] = communes_for_postcode(postcode)
            self.communes = list(queryset)
            self.fields["commune"].queryset = queryset  # type: ignore[attr-defined]

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The visible fields by fieldset; the commune only once it must be chosen."""
        show_commune = len(self.communes) > 1
        return [
            (str(legend), [self[name] for name in names if name != "commune" or show_commune])
            for legend, names in self.FIELDSETS
        ]

    def clean_postcode(self) -> str:
        postcode = "".join(self.cleaned_data["postcode"].split())
        POSTCODE(postcode)
        if not self.communes:
            raise forms.ValidationError(_("Ce code postal ne correspond à aucune commune."))
        return postcode

    def clean_address(self) -> str:
        address = " ".join(self.cleaned_data["address"].split())
        if address and len(address) < 3:
            raise forms.ValidationError(_("L'adresse est trop courte : indiquez le numéro et le nom de la voie."))
        return address

    def clean_birth_year(self) -> int | None:
        year: int | None = self.cleaned_data["birth_year"]
        if year is not None and not (self.today.year - AGE_MAX <= year <= self.today.year - AGE_MIN):
            raise forms.ValidationError(
                _("Indiquez une année de naissance entre %(first)s et %(last)s.")
                % {"first": self.today.year - AGE_MAX, "last": self.today.year - AGE_MIN}
            )
        return year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "postcode" in cleaned and cleaned.get("commune") is None:
            if len(self.communes) == 1:
                cleaned["commune"] = self.communes[0]
            elif "commune" not in self.errors:
                self.add_error("commune", _("Plusieurs communes ont ce code postal : choisissez la vôtre."))
        age, year = cleaned.get("age"), cleaned.get("birth_year")
        if age is not None and year is not None and abs((self.today.year - year) - age) > 1:
            self.add_error("birth_year", _("Votre âge et votre année de naissance ne concordent pas."))
        return cleaned

    def declared_in_qpv(self) -> bool | None:
        return {QPV_YES: True, QPV_NO: False}.get(self.cleaned_data.get("lives_in_qpv") or QPV_UNKNOWN)

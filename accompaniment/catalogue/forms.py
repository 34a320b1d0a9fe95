"""Forms of catalogue management: they validate (in French); the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accompaniment.catalogue.models import AidScheme, Offer, Structure
from accompaniment.catalogue.services import aid_scheme_errors
from accompaniment.vocabulary import Audience, ProjectKind, Sector, Situation, Stage
from fabrique.validators import validate_siret
from territories.models import Place

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _multiple_choice(choices: Any, label: Any) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        choices=choices, label=label, required=False, widget=forms.CheckboxSelectMultiple
    )


class StructureForm(forms.ModelForm):
    """A structure's public card, edited by its managers; the SIRET is its organisation's."""

    siret = forms.CharField(
        label=_("SIRET"),
        required=False,
        max_length=17,
        help_text=_("14 chiffres, espaces acceptés."),
    )
    website = forms.URLField(label=_("Site internet"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Structure
        fields = ["name", "network", "description", "email", "phone", "website", "street_address"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["siret"] = self.instance.organisation.siret

    def clean_siret(self) -> str:
        siret = "".join(self.cleaned_data.get("siret", "").split())
        if siret:
            validate_siret(siret)
        return siret


class OfferForm(forms.ModelForm):
    stages = _multiple_choice(Stage.choices, _("Étapes du parcours"))
    audiences = _multiple_choice(Audience.choices, _("Publics"))

    class Meta:
        model = Offer
        fields = [
            "structure",
            "title",
            "theme",
            "description",
            "stages",
            "audiences",
            "places",
            "is_remote",
            "is_free",
            "cost_details",
            "how_to_access",
            "is_active",
        ]
        widgets = {"places": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, structures: QuerySet[Structure], places: QuerySet[Place], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        structure_field = self.fields["structure"]
        assert isinstance(structure_field, forms.ModelChoiceField)
        structure_field.queryset = structures
        structure_field.empty_label = None
        places_field = self.fields["places"]
        assert isinstance(places_field, forms.ModelMultipleChoiceField)
        places_field.queryset = places
        places_field.required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("is_free") and not cleaned.get("cost_details"):
            self.add_error("cost_details", _("Précisez le coût d'une offre payante."))
        return cleaned


class AidSchemeForm(forms.ModelForm):
    stages = _multiple_choice(Stage.choices, _("Étapes du parcours"))
    project_kinds = _multiple_choice(ProjectKind.choices, _("Création ou reprise"))
    situations = _multiple_choice(Situation.choices, _("Situations éligibles"))
    sectors = _multiple_choice(Sector.choices, _("Secteurs éligibles"))
    source_url = forms.URLField(label=_("Source"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = AidScheme
        fields = [
            "operator",
            "name",
            "kind",
            "summary",
            "description",
            "amount_min",
            "amount_max",
            "rate_percent",
            "duration_months_max",
            "coverage",
            "stages",
            "project_kinds",
            "requires_qpv_residence",
            "age_min",
            "age_max",
            "situations",
            "sectors",
            "max_business_age_months",
            "opens_on",
            "closes_on",
            "source_url",
            "checked_on",
            "is_illustrative",
            "is_active",
        ]
        widgets = {"opens_on": DATE_WIDGET, "closes_on": DATE_WIDGET, "checked_on": DATE_WIDGET}

    def __init__(self, *args: Any, structures: QuerySet[Structure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operator = self.fields["operator"]
        assert isinstance(operator, forms.ModelChoiceField)
        operator.queryset = structures
        operator.required = True
        operator.empty_label = None
        # A manager's aid covers France, a region, a department, an EPCI or their Fabrique;
        # the areas themselves are set by the catalogue import (platform staff).
        coverage = self.fields["coverage"]
        assert isinstance(coverage, forms.ChoiceField)
        coverage.help_text = _(
            "« Fabrique » : cette Fabrique seulement. Pour une région, un département ou une "
            "intercommunalité, l'équipe de la plateforme précise le territoire."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, message in aid_scheme_errors(cleaned).items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


class CurationForm(forms.Form):
    """One entry's choice in the current Fabrique: shown, hidden or featured."""

    CHOICES = (
        ("shown", _("Affichée normalement")),
        ("hidden", _("Masquée")),
        ("featured", _("Mise en avant")),
    )
    choice = forms.ChoiceField(label=_("Affichage dans la Fabrique"), choices=CHOICES, widget=forms.RadioSelect)


class CatalogueImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV ou XLSX"),
        help_text=_("Colonnes décrites ci-dessous ; encodage UTF-8 pour un CSV (séparateur virgule ou point-virgule)."),
    )
    dry_run = forms.BooleanField(label=_("Vérifier seulement, sans rien enregistrer"), required=False, initial=True)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Choisissez un fichier .csv ou .xlsx."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("Le fichier dépasse 5 Mo."))
        return upload

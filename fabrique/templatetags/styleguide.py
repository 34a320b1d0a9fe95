"""Example objects for the style guide page (forms with errors, a page of results, a table)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.template import Context, Library
from django.utils.translation import gettext_lazy as _

register = Library()

STAGES = [
    ("sensibilisation", _("Sensibilisation")),
    ("emergence", _("Émergence")),
    ("structuration", _("Structuration")),
    ("financement", _("Financement")),
    ("creation", _("Création")),
    ("post_creation", _("Post-création")),
]


class ExampleForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du projet"), max_length=100, help_text=_("Tel que vous le présentez, 100 caractères au plus.")
    )
    email = forms.EmailField(label=_("Adresse e-mail"), help_text=_("Format attendu : nom@domaine.fr"))
    stage = forms.ChoiceField(label=_("Où en est votre projet ?"), choices=STAGES, widget=forms.RadioSelect)
    commune = forms.ChoiceField(
        label=_("Commune"), choices=[("", _("Choisir une commune")), ("roubaix", "Roubaix"), ("tourcoing", "Tourcoing")]
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    consent = forms.BooleanField(label=_("J'accepte d'être recontacté par un conseiller"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.add_error(None, _("Exemple d'erreur qui concerne tout le formulaire."))
        return cleaned


@register.simple_tag(takes_context=True)
def styleguide_examples(context: Context) -> dict[str, Any]:
    request = context.get("request")
    page_number = request.GET.get("page", 3) if request is not None else 3
    invalid = ExampleForm(data={"name": "Épicerie solidaire", "email": "pas-une-adresse", "description": ""})
    invalid.is_valid()
    return {
        "form": ExampleForm(prefix="vierge"),
        "invalid_form": invalid,
        "page": Paginator(range(1, 241), 10).get_page(page_number),
        "table_headers": [_("Étape"), _("Porteurs"), _("Part")],
        "table_rows": [
            [_("Émergence"), "412", "37 %"],
            [_("Structuration"), "298", "27 %"],
            [_("Financement"), "187", "17 %"],
            [_("Création"), "214", "19 %"],
        ],
    }

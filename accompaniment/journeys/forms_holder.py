"""Forms of the holder's space: they validate (in French, nothing written on error); services write.

No JavaScript needed: the commune comes from the postcode, or from the list of the Fabrique's
communes when several share it; the QPV answer is the person's own until the address is verified.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accompaniment.catalogue.matching import Answers
from accompaniment.eligibility.forms import ADDRESS_MAX_LENGTH, POSTCODE, communes_for_postcode
from accompaniment.journeys.holder_space import PROFILE_FIELDS, PROJECT_FIELDS
from accompaniment.journeys.models import Holder, Project
from accompaniment.vocabulary import Sector
from fabrique.models import Fabrique
from fabrique.perimeter import perimeter_communes, perimeter_qpvs
from territories.models import QPV, AddressCheck, Commune

QPV_YES, QPV_NO, QPV_UNKNOWN = "yes", "no", "unknown"
# French numbers: 0X XX XX XX XX, or +33 X XX XX XX XX; spaces, dots and dashes allowed.
PHONE = re.compile(r"^(?:0|\+33)[1-9]\d{8}$")


class _QpvChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.code})"


class HolderProfileForm(forms.ModelForm):
    commune = forms.ModelChoiceField(
        label=_("Commune"),
        queryset=Commune.objects.none(),
        to_field_name="insee",
        required=False,
        empty_label=_("Déduite du code postal"),
        help_text=_("Utile si plusieurs communes ont votre code postal."),
        error_messages={"invalid_choice": _("Choisissez une commune de la liste.")},
    )
    lives_in_qpv = forms.ChoiceField(
        label=_("Habitez-vous dans un quartier prioritaire (QPV) ?"),
        help_text=_("Si vous indiquez votre adresse, nous le vérifions pour vous avec la Base Adresse Nationale."),
        choices=[(QPV_YES, _("Oui")), (QPV_NO, _("Non")), (QPV_UNKNOWN, _("Je ne sais pas"))],
        initial=QPV_UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choisissez « oui », « non » ou « je ne sais pas ».")},
    )
    qpv = _QpvChoiceField(
        label=_("Votre quartier prioritaire, si vous le connaissez"),
        queryset=QPV.objects.none(),
        required=False,
        empty_label=_("Je ne sais pas"),
        error_messages={"invalid_choice": _("Choisissez un quartier de la liste.")},
    )

    class Meta:
        model = Holder
        fields = list(PROFILE_FIELDS)
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
            "birth_year": forms.NumberInput(attrs={"inputmode": "numeric", "size": 6}),
            "street_address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric", "size": 6}),
        }
        labels = {
            "first_name": _("Prénom"),
            "last_name": _("Nom"),
            "phone": _("Téléphone"),
            "birth_year": _("Année de naissance"),
            "gender": _("Genre"),
            "situation": _("Votre situation"),
            "education_level": _("Niveau de formation"),
            "street_address": _("Adresse"),
            "postcode": _("Code postal"),
            "contact_by_email": _("J'accepte d'être contacté·e par e-mail"),
            "contact_by_sms": _("J'accepte d'être contacté·e par SMS"),
        }
        help_texts = {
            "birth_year": _("Par exemple 1992."),
            "street_address": _("Le numéro et le nom de la voie, par exemple : 12 rue de l'Épeule."),
            "phone": _("Par exemple 06 12 34 56 78."),
        }
        error_messages = {
            "first_name": {"required": _("Indiquez votre prénom.")},
            "last_name": {"required": _("Indiquez votre nom.")},
            "birth_year": {"invalid": _("Indiquez l'année en chiffres, par exemple 1992.")},
            "street_address": {"max_length": _("L'adresse ne doit pas dépasser %(limit_value)d caractères.")},
            "gender": {"invalid_choice": _("Choisissez une réponse de la liste.")},
            "situation": {"invalid_choice": _("Choisissez une situation de la liste.")},
            "education_level": {"invalid_choice": _("Choisissez un niveau de la liste.")},
        }

    FIELDSETS = (
        (_("Mon identité et mes coordonnées"), ("first_name", "last_name", "phone")),
        (_("Où j'habite"), ("street_address", "postcode", "commune", "lives_in_qpv", "qpv")),
        (_("Ma situation"), ("birth_year", "gender", "situation", "education_level")),
        (_("Comment la Fabrique peut me contacter"), ("contact_by_email", "contact_by_sms")),
    )

    def __init__(self, *args: Any, fabrique: Fabrique, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        holder: Holder = self.instance
        # What the QPV status was computed from, before the form changes the instance.
        self.original = (
            holder.street_address,
            holder.postcode,
            holder.commune_id,
            holder.lives_in_qpv,
            holder.qpv_id,
        )
        self.address_verified = bool(
            holder.address_check_id
            and holder.address_check is not None
            and holder.address_check.status == AddressCheck.Status.VERIFIED
        )
        self.perimeter_ids = set(fabrique.perimeter.values_list("pk", flat=True))
        self.fields["commune"].queryset = perimeter_communes(fabrique)  # type: ignore[attr-defined]
        self.fields["qpv"].queryset = perimeter_qpvs(fabrique)  # type: ignore[attr-defined]
        for name, empty in (
            ("gender", _("Je préfère ne pas le dire")),
            ("situation", _("Je préfère ne pas le dire")),
            ("education_level", _("Je préfère ne pas le dire")),
        ):
            field = self.fields[name]
            field.choices = [("", empty), *[c for c in field.choices if c[0] != ""]]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("commune", holder.commune.insee if holder.commune_id and holder.commune else None)
            self.initial.setdefault(
                "lives_in_qpv",
                {True: QPV_YES, False: QPV_NO}.get(holder.lives_in_qpv, QPV_UNKNOWN),  # type: ignore[arg-type]
            )
            self.initial.setdefault("qpv", holder.qpv_id)

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(legend), [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean_first_name(self) -> str:
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        compact = re.sub(r"[\s.\-]", "", phone)
        if not PHONE.match(compact):
            raise forms.ValidationError(_("Indiquez un numéro de téléphone français, par exemple 06 12 34 56 78."))
        return compact

    def clean_street_address(self) -> str:
        address = " ".join(self.cleaned_data["street_address"].split())
        if address and len(address) < 3:
            raise forms.ValidationError(_("L'adresse est trop courte : indiquez le numéro et le nom de la voie."))
        if len(address) > ADDRESS_MAX_LENGTH:  # the address API's limit
            raise forms.ValidationError(
                _("L'adresse ne doit pas dépasser %(limit)d caractères.") % {"limit": ADDRESS_MAX_LENGTH}
            )
        return address

    def clean_postcode(self) -> str:
        postcode = "".join(self.cleaned_data["postcode"].split())
        if postcode:
            POSTCODE(postcode)
        return postcode

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        postcode, commune = cleaned.get("postcode", ""), cleaned.get("commune")
        if postcode and "postcode" not in self.errors and "commune" not in self.errors:
            candidates = list(communes_for_postcode(postcode))
            if not candidates:
                self.add_error("postcode", _("Ce code postal ne correspond à aucune commune."))
            elif commune is None:
                local = [c for c in candidates if c.epci_id in self.perimeter_ids]
                if len(candidates) == 1 or len(local) == 1:
                    cleaned["commune"] = candidates[0] if len(candidates) == 1 else local[0]
                else:
                    self.add_error("commune", _("Plusieurs communes ont ce code postal : choisissez la vôtre."))
            elif commune not in candidates:
                self.add_error(
                    "postcode", _("Ce code postal n'est pas celui de %(commune)s.") % {"commune": commune.name}
                )
        if cleaned.get("street_address") and not postcode and commune is None and "postcode" not in self.errors:
            self.add_error("postcode", _("Indiquez le code postal de votre adresse."))
        qpv, commune = cleaned.get("qpv"), cleaned.get("commune")
        if qpv is not None:
            if cleaned.get("lives_in_qpv") == QPV_NO:
                self.add_error("qpv", _("Un quartier n'est indiqué que si vous y habitez."))
            elif commune is not None and not qpv.communes.filter(pk=commune.pk).exists():
                self.add_error(
                    "qpv",
                    _("Le quartier %(qpv)s n'est pas dans la commune de %(commune)s.")
                    % {"qpv": qpv.name, "commune": commune.name},
                )
            else:
                cleaned["lives_in_qpv"] = QPV_YES
        return cleaned

    def declared_in_qpv(self) -> bool | None:
        return {QPV_YES: True, QPV_NO: False}.get(self.cleaned_data.get("lives_in_qpv") or QPV_UNKNOWN)

    def qpv_inputs_changed(self) -> bool:
        """Whether the QPV status must be worked out again (never re-asks the BAN for nothing)."""
        data = self.cleaned_data
        commune = data.get("commune")
        qpv = data.get("qpv")
        address = (data.get("street_address", ""), data.get("postcode", ""), commune.pk if commune else None)
        if address != self.original[:3]:
            return True
        if self.address_verified:
            return False  # the verified answer stands while the address stays the same
        return (self.declared_in_qpv(), qpv.pk if qpv else None) != self.original[3:]

    def profile_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}


def initial_from_answers(answers: Answers, fabrique: Fabrique) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pre-filled profile and project from the « Quelle aide pour moi ? » answers (nothing is saved
    until the holder submits the form)."""
    profile: dict[str, Any] = {}
    if answers.postcode:
        profile["postcode"] = answers.postcode
    if answers.commune_insee and perimeter_communes(fabrique).filter(insee=answers.commune_insee).exists():
        profile["commune"] = answers.commune_insee
    if answers.birth_year:
        profile["birth_year"] = answers.birth_year
    elif answers.age:
        profile["birth_year"] = timezone.localdate().year - answers.age
    if answers.situation:
        profile["situation"] = answers.situation
    if answers.in_qpv is not None:
        profile["lives_in_qpv"] = QPV_YES if answers.in_qpv else QPV_NO
    project: dict[str, Any] = {}
    if answers.sector:
        project["sector"] = answers.sector
    if answers.project_kind:
        project["kind"] = answers.project_kind
    return profile, project


class HolderProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = list(PROJECT_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "kind": forms.RadioSelect,
        }
        labels = {
            "title": _("Nom du projet"),
            "description": _("Votre idée en quelques mots"),
            "sector": _("Secteur d'activité"),
            "kind": _("Création ou reprise ?"),
            "legal_form": _("Forme juridique envisagée"),
        }
        help_texts = {
            "title": _("Même provisoire, par exemple : « Food truck de cuisine réunionnaise »."),
            "description": _("Ce que vous voulez vendre ou proposer, à qui, où."),
            "legal_form": _("Votre conseiller vous aidera à choisir : « pas encore choisie » convient très bien."),
        }
        error_messages = {
            "title": {
                "required": _("Donnez un nom à votre projet, même provisoire."),
                "max_length": _("Le nom du projet ne doit pas dépasser %(limit_value)d caractères."),
            },
            "sector": {"invalid_choice": _("Choisissez un secteur de la liste.")},
            "kind": {
                "required": _("Indiquez s'il s'agit d'une création ou d'une reprise."),
                "invalid_choice": _("Choisissez « création » ou « reprise »."),
            },
            "legal_form": {
                "required": _("Choisissez une forme juridique, ou « pas encore choisie »."),
                "invalid_choice": _("Choisissez une forme juridique de la liste."),
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("Je ne sais pas encore")), *Sector.choices]  # type: ignore[attr-defined]
        kind = self.fields["kind"]
        kind.choices = [c for c in kind.choices if c[0] != ""]  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PROJECT_FIELDS}


class LinkActionForm(forms.Form):
    """One button on « Mes structures »: share, stop sharing, or stop being followed."""

    SHARE, UNSHARE, END = "share", "unshare", "end"

    link = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    action = forms.ChoiceField(
        choices=[(SHARE, SHARE), (UNSHARE, UNSHARE), (END, END)],
        error_messages={"invalid_choice": _("Cette action n'existe pas."), "required": _("Choisissez une action.")},
    )

"""Forms of referrals, financing and outcomes: they validate (in French); the services write."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accompaniment.journeys.models import CreationRecord, FinancingRequest, LegalForm, Project, Referral
from accompaniment.journeys.outcomes import financing_errors
from fabrique.models import Organisation
from fabrique.validators import validate_siret

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT_WIDGET = forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"})
CONSENT_LABEL = _("Le porteur est d'accord pour être orienté et pour que ses coordonnées soient transmises")


def _organisation_field(queryset: QuerySet[Organisation], label: Any, **kwargs: Any) -> forms.ModelChoiceField:
    """A choice of structure; hidden (and preset) when the user acts for a single one."""
    field = forms.ModelChoiceField(queryset=queryset, label=label, empty_label=None, **kwargs)
    if len(queryset) == 1:
        field.widget = forms.HiddenInput()
        field.initial = queryset[0].pk
    return field


# --------------------------------------------------------------------------- referrals


class ReferralForm(forms.Form):
    def __init__(
        self,
        *args: Any,
        senders: QuerySet[Organisation],
        targets: QuerySet[Organisation],
        projects: QuerySet[Project],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_organisation"] = _organisation_field(senders, _("Votre structure"))
        self.fields["to_organisation"] = forms.ModelChoiceField(
            queryset=targets,
            label=_("Structure vers laquelle vous orientez le porteur"),
            empty_label=_("Choisissez une structure"),
            error_messages={
                "required": _("Choisissez la structure vers laquelle orienter le porteur."),
                "invalid_choice": _("Cette structure n'intervient pas dans cette Fabrique."),
            },
        )
        self.fields["project"] = forms.ModelChoiceField(
            queryset=projects,
            label=_("Projet concerné"),
            required=False,
            empty_label=_("Aucun projet en particulier"),
        )
        self.fields["need"] = forms.ChoiceField(
            choices=[("", _("Choisissez un besoin")), *Referral.Need.choices],
            label=_("Besoin du porteur"),
            error_messages={"required": _("Choisissez le besoin pour lequel vous orientez le porteur.")},
        )
        self.fields["message"] = forms.CharField(
            label=_("Message à la structure"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 5}),
            help_text=_("Ce que la structure doit savoir pour recevoir le porteur. Pas d'information de santé."),
        )
        self.fields["holder_consented"] = forms.BooleanField(
            label=CONSENT_LABEL,
            required=True,
            error_messages={
                "required": _("L'accord du porteur est nécessaire pour l'orienter et transmettre ses coordonnées.")
            },
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sender, target = data.get("from_organisation"), data.get("to_organisation")
        if sender is not None and target is not None and sender.pk == target.pk:
            self.add_error("to_organisation", _("Choisissez une autre structure que la vôtre."))
        return data


class ReferralDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("La structure qui a orienté le porteur le lira."),
        error_messages={"required": _("Indiquez le motif du refus : la structure qui oriente le lira.")},
    )


DIRECTION_CHOICES = (("recues", _("Reçues par ma structure")), ("envoyees", _("Envoyées par ma structure")))


class ReferralFilter(django_filters.FilterSet):
    """`?sens=recues|envoyees&statut=pending|…` over referrals already limited to the user's structures."""

    sens = django_filters.ChoiceFilter(
        label=_("Sens"), choices=DIRECTION_CHOICES, method="filter_direction", empty_label=_("Reçues et envoyées")
    )
    statut = django_filters.ChoiceFilter(
        label=_("Statut"), field_name="status", choices=Referral.Status.choices, empty_label=_("Tous les statuts")
    )

    class Meta:
        model = Referral
        fields: list[str] = []

    def __init__(self, *args: Any, organisation_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_ids = organisation_ids

    def filter_direction(self, queryset: QuerySet[Referral], name: str, value: str) -> QuerySet[Referral]:
        if value == "recues":
            return queryset.filter(to_organisation_id__in=self.organisation_ids)
        if value == "envoyees":
            return queryset.filter(from_organisation_id__in=self.organisation_ids)
        return queryset


# --------------------------------------------------------------------------- financing


class FinancingRequestForm(forms.ModelForm):
    class Meta:
        model = FinancingRequest
        fields = [
            "organisation",
            "aid_scheme",
            "label",
            "amount_requested",
            "status",
            "committee_on",
            "amount_granted",
            "bank_loan_leveraged",
            "amount_disbursed",
            "disbursed_on",
        ]
        widgets = {
            "committee_on": DATE_WIDGET,
            "disbursed_on": DATE_WIDGET,
            "amount_requested": AMOUNT_WIDGET,
            "amount_granted": AMOUNT_WIDGET,
            "bank_loan_leveraged": AMOUNT_WIDGET,
            "amount_disbursed": AMOUNT_WIDGET,
        }
        help_texts = {"label": _("Seulement si le financement n'est pas dans la liste des dispositifs.")}

    def __init__(
        self, *args: Any, project: Project, organisations: QuerySet[Organisation], aid_schemes: QuerySet, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        if self.instance.pk:
            del self.fields["organisation"]
        else:
            self.fields["organisation"] = _organisation_field(organisations, _("Structure qui accompagne la demande"))
        aid_field = self.fields["aid_scheme"]
        assert isinstance(aid_field, forms.ModelChoiceField)
        current = self.instance.aid_scheme_id if self.instance.pk else None
        aid_field.queryset = aid_schemes.model.objects.filter(
            Q(pk__in=aid_schemes.values("pk")) | Q(pk=current)
        ).order_by("name")
        aid_field.empty_label = _("Hors catalogue (nommez-le ci-dessous)")
        aid_field.error_messages["invalid_choice"] = _("Ce dispositif n'est pas proposé dans cette Fabrique.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        current = self.instance if self.instance.pk else None
        for field, messages in financing_errors(data, self.project, current).items():
            if field not in self.errors:  # a field already in error says so once
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data

    def _post_clean(self) -> None:
        # The service validates the model (full_clean) once the rules above are met: skip the
        # ModelForm's own model validation, whose constraint messages are not for users.
        pass


# ---------------------------------------------------------------------- creation, checks


class CreationRecordForm(forms.ModelForm):
    siret = forms.CharField(
        label=_("SIRET de l'entreprise"), max_length=20, help_text=_("14 chiffres, espaces acceptés.")
    )

    class Meta:
        model = CreationRecord
        fields = ["organisation", "siret", "created_on", "legal_form", "jobs_at_creation"]
        widgets = {"created_on": DATE_WIDGET}

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _organisation_field(organisations, _("Structure qui enregistre la création"))
        legal_form = self.fields["legal_form"]
        assert isinstance(legal_form, forms.ChoiceField)
        legal_form.choices = [("", _("Choisissez")), *[c for c in LegalForm.choices if c[0] != LegalForm.UNDECIDED]]

    def clean_siret(self) -> str:
        siret = "".join(self.cleaned_data.get("siret", "").split())
        validate_siret(siret)
        return siret

    def _post_clean(self) -> None:
        pass  # see FinancingRequestForm._post_clean


YES_NO = ((True, _("Oui")), (False, _("Non")))


class PostCreationCheckForm(forms.Form):
    is_active = forms.TypedChoiceField(
        label=_("L'entreprise est-elle toujours en activité ?"),
        choices=YES_NO,
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez si l'entreprise est toujours en activité.")},
    )
    jobs = forms.IntegerField(label=_("Emplois aujourd'hui (le créateur compris)"), min_value=0, required=False)
    closed_on = forms.DateField(label=_("Date de cessation d'activité"), required=False, widget=DATE_WIDGET)
    notes = forms.CharField(
        label=_("Observations"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

"""Forms of the advisors' side: registering a holder, logging a follow-up, moving a project
along its journey, logging a walk-in. They validate and explain in French; services act."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from accompaniment.journeys.models import FollowUp, Holder, Project, Referral
from accompaniment.journeys.models.project import TRANSITIONS
from accompaniment.journeys.sensitive import sensitive_labels
from fabrique.models import Organisation
from territories.models import Commune, Place

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
MAX_FOLLOWUP_MINUTES = 24 * 60


class _KnownOrganisationsIterator(forms.models.ModelChoiceIterator):
    """The choices from the organisations already loaded: no query per rendered form."""

    @property
    def known(self) -> list[Organisation]:
        return cast("OrganisationChoiceField", self.field).known

    def __iter__(self) -> Any:
        for organisation in self.known:
            yield self.choice(organisation)

    def __len__(self) -> int:
        return len(self.known)

    def __bool__(self) -> bool:
        return bool(self.known)


class OrganisationChoiceField(forms.ModelChoiceField):
    """The structure the user acts for; shown only when they act for several. The choices are
    the given organisations (a form per project on a file: one query each was an N+1); the
    posted value is still checked against them in SQL."""

    iterator = _KnownOrganisationsIterator

    def __init__(self, organisations: list[Organisation], **kwargs: Any) -> None:
        self.known = sorted(organisations, key=lambda organisation: (organisation.name, organisation.pk))
        super().__init__(
            queryset=Organisation.objects.filter(pk__in=[o.pk for o in organisations]).order_by("name"),
            label=_("Au nom de la structure"),
            empty_label=None,
            error_messages={"invalid_choice": _("Choisissez une de vos structures.")},
            **kwargs,
        )


def _model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def _add_organisation_field(form: forms.BaseForm, organisations: list[Organisation]) -> None:
    """A select among `organisations` when there are several; otherwise the only one is implied."""
    form.organisations = organisations  # type: ignore[attr-defined]
    if len(organisations) > 1:
        form.fields["organisation"] = OrganisationChoiceField(organisations)


def chosen_organisation(form: forms.BaseForm) -> Organisation:
    organisations: list[Organisation] = form.organisations  # type: ignore[attr-defined]
    return form.cleaned_data.get("organisation") or organisations[0]


# ------------------------------------------------------------------------- registration
class HolderRegisterForm(forms.ModelForm):
    QPV_DECLARED = (("", _("Ne sait pas")), ("oui", _("Oui")), ("non", _("Non")))

    lives_in_qpv_declared = forms.TypedChoiceField(
        label=_("Habite un quartier prioritaire (déclaré)"),
        choices=QPV_DECLARED,
        required=False,
        coerce=lambda value: {"oui": True, "non": False}.get(value),
        empty_value=None,
        help_text=_("Ce que la personne déclare ; une adresse vérifiée le confirmera plus tard."),
    )
    shares_file = forms.BooleanField(
        label=_("La personne accepte que les structures qui la suivent partagent les informations de son dossier"),
        required=False,
        help_text=_("Recueillez son accord oralement ou par écrit avant de cocher ; elle pourra le retirer."),
    )

    class Meta:
        model = Holder
        fields = ["first_name", "last_name", "email", "phone", "birth_year", "commune", "situation"]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "birth_year": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1900}),
        }

    def __init__(self, *args: Any, communes: QuerySet[Commune], organisations: list[Organisation], **kwargs: Any):
        super().__init__(*args, **kwargs)
        commune = _model_choice(self, "commune")
        commune.queryset = communes
        commune.label = _("Commune de résidence")
        commune.empty_label = _("Choisissez une commune")
        commune.error_messages["invalid_choice"] = _("Choisissez une commune de la Fabrique.")
        self.fields["email"].required = False
        _add_organisation_field(self, organisations)

    def holder_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields["email"] = (fields["email"] or "").strip()
        fields["lives_in_qpv"] = data.get("lives_in_qpv_declared")
        return fields


# ---------------------------------------------------------------------------- follow-up
class FollowUpForm(forms.ModelForm):
    confirm_sensitive = forms.BooleanField(
        label=_("Je confirme que cette information est nécessaire au suivi du projet"), required=False
    )

    class Meta:
        model = FollowUp
        fields = [
            "occurred_on",
            "kind",
            "duration_minutes",
            "place",
            "project",
            "summary",
            "next_step",
            "next_step_due",
            "is_shared",
        ]
        widgets = {
            "occurred_on": DATE_WIDGET,
            "next_step_due": DATE_WIDGET,
            "duration_minutes": forms.NumberInput(
                attrs={"inputmode": "numeric", "min": 1, "max": MAX_FOLLOWUP_MINUTES}
            ),
            "summary": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(
        self,
        *args: Any,
        holder: Holder,
        places: QuerySet[Place],
        organisations: list[Organisation],
        holder_agreed_sharing: bool,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.holder = holder
        self.sensitive_labels: list[str] = []
        place, project = _model_choice(self, "place"), _model_choice(self, "project")
        place.queryset = places
        place.empty_label = _("Aucun lieu (à distance, ailleurs)")
        project.queryset = Project.objects.filter(holder=holder).order_by("-created_at")
        project.empty_label = _("Pas un projet en particulier")
        self.fields["summary"].help_text = _(
            "Ce qui a été fait et décidé pour le projet. Évitez toute donnée sensible "
            "(santé, religion, opinions, vie privée) qui n'est pas indispensable."
        )
        shared_help: str = _g(
            "Le compte rendu n'est lu que par votre structure, sauf si vous cochez cette case : il est "
            "alors visible des autres structures qui suivent ce porteur, et seulement si le porteur a "
            "accepté le partage de son dossier avec elles."
        )
        if not holder_agreed_sharing:
            shared_help = f"{shared_help} {_g('Ce porteur n’a pas accepté le partage avec votre structure : le compte rendu restera réservé à votre structure.')}"
        self.fields["is_shared"].help_text = shared_help
        self.fields["is_shared"].label = _("Partager ce compte rendu avec les autres structures qui suivent le porteur")
        _add_organisation_field(self, organisations)

    def clean_duration_minutes(self) -> int | None:
        minutes: int | None = self.cleaned_data.get("duration_minutes")
        if minutes is not None and minutes > MAX_FOLLOWUP_MINUTES:  # the database's followup_duration_plausible
            raise forms.ValidationError(
                _("Une action dure au plus 24 heures (%(minutes)s minutes).") % {"minutes": MAX_FOLLOWUP_MINUTES}
            )
        return minutes

    def clean_occurred_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Une action faite ne peut pas être datée dans le futur."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("next_step_due") and not (data.get("next_step") or "").strip():
            self.add_error("next_step", _("Indiquez la prochaine étape pour lui donner une échéance."))
        due, day = data.get("next_step_due"), data.get("occurred_on")
        if due and day and due < day:
            self.add_error("next_step_due", _("L'échéance ne peut pas précéder la date de l'action."))
        self.sensitive_labels = sensitive_labels(data.get("summary") or "", data.get("next_step") or "")
        if self.sensitive_labels and not data.get("confirm_sensitive"):
            self.add_error(
                "confirm_sensitive",
                _(
                    "Ce texte semble contenir une donnée sensible (%(categories)s) : retirez-la, ou confirmez "
                    "qu'elle est nécessaire."
                )
                % {"categories": ", ".join(self.sensitive_labels)},
            )
        return data

    def followup_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# --------------------------------------------------------------------------- transition
class TransitionChoiceField(forms.ChoiceField):
    """Offers the transitions available now, but accepts any known one, so that a stale form
    (the project moved meanwhile) gets the state machine's own French explanation."""

    def valid_value(self, value: Any) -> bool:
        return str(value) in TRANSITIONS


class ProjectTransitionForm(forms.Form):
    transition = TransitionChoiceField(
        label=_("Nouvelle étape"),
        error_messages={"invalid_choice": _("Ce changement d'étape n'existe pas.")},
    )
    reason = forms.CharField(
        label=_("Raison ou commentaire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire en cas d'abandon."),
    )

    def __init__(self, *args: Any, project: Project, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        transition = cast(TransitionChoiceField, self.fields["transition"])
        transition.choices = project.available_transitions()
        transition.widget = forms.RadioSelect(choices=transition.choices)
        _add_organisation_field(self, organisations)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("transition") == "abandon" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Indiquez la raison de l'abandon."))
        return data


# ------------------------------------------------------------------------------ walk-in
class WalkInForm(forms.Form):
    place = forms.ModelChoiceField(label=_("Lieu"), queryset=Place.objects.none(), empty_label=_("Choisissez le lieu"))
    occurred_at = forms.DateTimeField(label=_("Date et heure"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS)
    holder = forms.ModelChoiceField(
        label=_("N° de dossier du porteur"),
        queryset=Holder.objects.none(),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        help_text=_(
            "Si la personne a déjà un dossier que vous suivez (le numéro figure sur sa fiche). "
            "Sinon, laissez vide : le passage est compté sans nom."
        ),
        error_messages={"invalid_choice": _("Aucun dossier que vous pouvez consulter ne porte ce numéro.")},
    )
    visitors = forms.IntegerField(
        label=_("Nombre de personnes"),
        min_value=1,
        max_value=50,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 50}),
        help_text=_("Une famille, un groupe : comptez-les ensemble. Un porteur identifié compte pour un."),
    )
    reason = forms.ChoiceField(label=_("Motif de la visite"), choices=Referral.Need.choices)
    oriented_to = forms.ModelChoiceField(
        label=_("Orienté vers"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Personne (réponse sur place)"),
    )
    notes = forms.CharField(
        label=_("Remarque"),
        required=False,
        max_length=300,
        help_text=_("Sans donnée personnelle ou sensible : lue par votre structure seulement."),
    )

    def __init__(
        self,
        *args: Any,
        places: QuerySet[Place],
        holders: QuerySet[Holder],
        actors: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        _model_choice(self, "place").queryset = places
        _model_choice(self, "holder").queryset = holders
        _model_choice(self, "oriented_to").queryset = actors

    def clean_occurred_at(self) -> datetime.datetime:
        when: datetime.datetime = self.cleaned_data["occurred_at"]
        if when > timezone.now() + datetime.timedelta(minutes=10):
            raise forms.ValidationError(_("Un passage ne peut pas être noté dans le futur."))
        return when

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("holder") is not None and data.get("visitors") not in (None, 1):
            self.add_error("visitors", _("Un porteur identifié compte pour une seule personne."))
        return data

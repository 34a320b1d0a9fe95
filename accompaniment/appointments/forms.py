"""Forms of the appointment pages. They validate input; the services act."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accompaniment.appointments.models import Absence, AvailabilityRange, LocationMode, Motive
from accompaniment.catalogue.models import Offer
from accompaniment.journeys.models import Holder
from fabrique.models import User
from territories.models import Commune, Place

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# No appointment is booked further ahead (motives are bookable 366 days ahead at most).
FURTHEST = dt.timedelta(days=2 * 366)


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


def check_editor(form: forms.ModelForm, data: dict[str, Any], *, editor: Any, managed: QuerySet) -> None:
    """Someone else's range or absence only in a structure the editor manages, for its staff."""
    organisation, advisor = data.get("organisation"), data.get("advisor")
    if organisation is None or advisor is None:
        return
    if advisor.pk != editor.pk and not managed.filter(pk=organisation.pk).exists():
        form.add_error(
            "organisation",
            _("Vous ne gérez pas cette structure : vous n'y saisissez que vos propres disponibilités."),
        )
    elif not advisor.memberships.filter(organisation=organisation, is_active=True).exists():
        form.add_error("advisor", _("Ce conseiller ne travaille pas pour cette structure."))


class PeopleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full = f"{getattr(obj, 'first_name', '')} {getattr(obj, 'last_name', '')}".strip()
        return full or obj.email


class FirstSlotForm(forms.Form):
    theme = forms.ChoiceField(
        label=_("Thème"), choices=[("", _("Tous les thèmes")), *Offer.Theme.choices], required=False
    )
    commune = forms.ModelChoiceField(
        label=_("Votre commune"),
        queryset=Commune.objects.none(),
        required=False,
        empty_label=_("Toutes les communes"),
        help_text=_("Les rendez-vous par téléphone ou en visio sont proposés quelle que soit la commune."),
    )

    def __init__(self, *args: Any, communes: QuerySet[Commune], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes  # type: ignore[attr-defined]


class BookingForm(forms.Form):
    """The slot chosen on the slots page travels in hidden fields; the service checks it is still free."""

    debut = forms.IntegerField(widget=forms.HiddenInput)
    conseiller = forms.IntegerField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=LocationMode.choices, widget=forms.HiddenInput)
    lieu = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=_("Un mot pour le conseiller"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=1000,
        help_text=_("Par exemple : votre idée en une phrase, une contrainte d'horaire, un besoin d'accessibilité."),
    )

    def clean_debut(self) -> dt.datetime:
        try:
            value = dt.datetime.fromtimestamp(self.cleaned_data["debut"], tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            value = None
        # Far from any bookable slot (and from the calendar's ends, which overflow in local time).
        if value is None or abs(value - timezone.now()) > FURTHEST:
            raise ValidationError(_("Ce créneau n'existe pas."), code="invalid")
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)


class OutcomeForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("seen", _("Honoré")), ("no_show", _("Absence non excusée")), ("excused", _("Absence excusée"))]
    )
    note = forms.CharField(label=_("Remarque"), max_length=300, required=False)


class _AppointmentTimeForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Date et heure"), widget=_datetime_widget(), input_formats=[DATETIME_LOCAL])
    mode = forms.ChoiceField(label=_("Modalité"), choices=LocationMode.choices)
    place = forms.ModelChoiceField(label=_("Lieu"), queryset=Place.objects.none(), required=False)

    def clean_starts_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["starts_at"]
        # Typed as Paris wall-clock time (the form field made it aware in the current zone).
        if value <= timezone.now():
            raise ValidationError(_("Choisissez une date à venir."), code="past")
        if value > timezone.now() + FURTHEST:
            raise ValidationError(_("Choisissez une date dans les deux ans à venir."), code="too_far")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == LocationMode.PLACE and not data.get("place"):
            self.add_error("place", _("Choisissez le lieu du rendez-vous."))
        return data


class RescheduleForm(_AppointmentTimeForm):
    reason = forms.CharField(label=_("Motif du déplacement"), max_length=300, required=False)

    def __init__(self, *args: Any, places: QuerySet[Place], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places  # type: ignore[attr-defined]


class AdvisorBookingForm(_AppointmentTimeForm):
    holder = forms.ModelChoiceField(label=_("Porteur de projet"), queryset=Holder.objects.none())
    motive = forms.ModelChoiceField(label=_("Motif"), queryset=Motive.objects.none())
    advisor = PeopleChoiceField(label=_("Conseiller"), queryset=User.objects.none())
    note = forms.CharField(label=_("Remarque"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    field_order = ["holder", "motive", "advisor", "starts_at", "mode", "place", "note"]

    def __init__(
        self, *args: Any, holders: QuerySet, motives: QuerySet, advisors: QuerySet, places: QuerySet, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = holders  # type: ignore[attr-defined]
        self.fields["motive"].queryset = motives  # type: ignore[attr-defined]
        self.fields["advisor"].queryset = advisors  # type: ignore[attr-defined]
        self.fields["place"].queryset = places  # type: ignore[attr-defined]


class MotiveForm(forms.ModelForm):
    modes = forms.MultipleChoiceField(
        label=_("Modalités possibles"), choices=LocationMode.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Motive
        fields = [
            "organisation",
            "name",
            "theme",
            "duration_minutes",
            "modes",
            "bookable_online",
            "min_notice_hours",
            "max_days_ahead",
            "instructions",
            "is_active",
        ]

    def __init__(self, *args: Any, organisations: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["organisation"].empty_label = None  # type: ignore[attr-defined]


class RangeForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("Récurrence"),
        choices=[("weekly", _("Chaque semaine")), ("one_off", _("Une seule date"))],
        widget=forms.RadioSelect,
        initial="weekly",
    )
    advisor = PeopleChoiceField(label=_("Conseiller"), queryset=User.objects.none())

    class Meta:
        model = AvailabilityRange
        fields = [
            "organisation",
            "advisor",
            "kind",
            "weekday",
            "date",
            "start_time",
            "end_time",
            "valid_from",
            "valid_until",
            "mode",
            "place",
            "motives",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "motives": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet,
        advisors: QuerySet,
        motives: QuerySet,
        places: QuerySet,
        editor: Any,
        managed: QuerySet,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editor, self.managed = editor, managed
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["organisation"].empty_label = None  # type: ignore[attr-defined]
        self.fields["advisor"].queryset = advisors  # type: ignore[attr-defined]
        self.fields["motives"].queryset = motives  # type: ignore[attr-defined]
        self.fields["place"].queryset = places  # type: ignore[attr-defined]
        if self.instance.pk and self.instance.date is not None:
            self.initial["kind"] = "one_off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "weekly":
            data["date"] = None
            if data.get("weekday") is None:
                self.add_error("weekday", _("Choisissez le jour de la semaine."))
        else:
            data["weekday"], data["valid_from"], data["valid_until"] = None, None, None
            if not data.get("date"):
                self.add_error("date", _("Choisissez la date."))
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("L'heure de fin doit suivre l'heure de début."))
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("La fin de validité doit suivre son début."))
        if data.get("mode") == LocationMode.PLACE:
            if not data.get("place"):
                self.add_error("place", _("Choisissez le lieu de cette plage."))
        else:
            data["place"] = None
        organisation = data.get("organisation")
        if organisation is not None:
            if any(motive.organisation_id != organisation.pk for motive in data.get("motives") or []):
                self.add_error("motives", _("Choisissez des motifs de cette structure."))
            check_editor(self, data, editor=self.editor, managed=self.managed)
        return data


class AbsenceForm(forms.ModelForm):
    advisor = PeopleChoiceField(label=_("Conseiller"), queryset=User.objects.none())

    class Meta:
        model = Absence
        fields = ["organisation", "advisor", "starts_at", "ends_at", "reason"]
        widgets = {"starts_at": _datetime_widget(), "ends_at": _datetime_widget()}

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet,
        advisors: QuerySet,
        editor: Any,
        managed: QuerySet,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editor, self.managed = editor, managed
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["organisation"].empty_label = None  # type: ignore[attr-defined]
        self.fields["advisor"].queryset = advisors  # type: ignore[attr-defined]
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [DATETIME_LOCAL]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("La fin de l'absence doit suivre son début."))
        check_editor(self, data, editor=self.editor, managed=self.managed)
        return data

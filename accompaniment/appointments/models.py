"""Appointments: reasons (motives) a structure offers, advisors' opening ranges and absences,
and the appointments themselves.

Double booking is impossible by construction: an exclusion constraint (btree_gist) forbids
two live appointments of one advisor whose time ranges overlap, whatever the application does.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from accompaniment.catalogue.models import Offer
from fabrique.tenancy import TenantOwnedModel, TenantQuerySet

SLOT_TAKEN_MESSAGE = _("Ce créneau vient d'être pris, choisissez-en un autre.")
NO_DOUBLE_BOOKING = "appointment_no_double_booking"


class LocationMode(models.TextChoices):
    PLACE = "place", _("Sur place")
    PHONE = "phone", _("Par téléphone")
    VIDEO = "video", _("En visio")


class MotiveQuerySet(models.QuerySet["Motive"]):
    def active(self) -> MotiveQuerySet:
        return self.filter(is_active=True)

    def serving(self, fabrique: Any) -> MotiveQuerySet:
        return self.filter(organisation__fabriques=fabrique)


class Motive(models.Model):
    """A reason for an appointment (motif) offered by a support actor, with its duration."""

    organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.CASCADE, related_name="motives", verbose_name=_("structure")
    )
    name = models.CharField(_("intitulé"), max_length=150)
    theme = models.CharField(_("thème"), max_length=20, choices=Offer.Theme.choices, blank=True)
    instructions = models.TextField(_("informations pour le porteur"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=60)
    modes = ArrayField(
        models.CharField(max_length=5, choices=LocationMode.choices),
        verbose_name=_("modalités possibles"),
        default=list,
    )
    bookable_online = models.BooleanField(
        _("réservable en ligne par les porteurs"),
        default=True,
        help_text=_("Sinon, seuls les conseillers prennent ces rendez-vous."),
    )
    min_notice_hours = models.PositiveSmallIntegerField(_("délai minimum de réservation (heures)"), default=2)
    max_days_ahead = models.PositiveSmallIntegerField(_("réservable jusqu'à (jours à l'avance)"), default=60)
    is_active = models.BooleanField(_("actif"), default=True)

    objects = MotiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("motif de rendez-vous")
        verbose_name_plural = _("motifs de rendez-vous")
        ordering = ["organisation", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480), name="motive_duration_range"
            ),
            models.CheckConstraint(condition=Q(modes__len__gte=1), name="motive_has_a_mode"),
            models.CheckConstraint(
                condition=Q(max_days_ahead__gte=1) & Q(max_days_ahead__lte=366), name="motive_window_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AvailabilityRangeQuerySet(models.QuerySet["AvailabilityRange"]):
    pass


class AvailabilityRange(models.Model):
    """An advisor's opening range (plage d'ouverture): weekly, or on one date, at a place or remote.

    Times are local wall-clock times in Europe/Paris: "9:00–12:00 every Tuesday" stays at 9:00
    across daylight-saving changes.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("conseiller")
    )
    mode = models.CharField(_("modalité"), max_length=5, choices=LocationMode.choices)
    place = models.ForeignKey(
        "territories.Place", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("lieu")
    )
    weekday = models.PositiveSmallIntegerField(_("jour de la semaine"), choices=Weekday.choices, null=True, blank=True)
    date = models.DateField(_("date (plage ponctuelle)"), null=True, blank=True)
    start_time = models.TimeField(_("de"))
    end_time = models.TimeField(_("à"))
    valid_from = models.DateField(_("à partir du"), null=True, blank=True)
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    motives = models.ManyToManyField(Motive, related_name="ranges", verbose_name=_("motifs"))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = AvailabilityRangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("plage d'ouverture")
        verbose_name_plural = _("plages d'ouverture")
        ordering = ["weekday", "date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__isnull=False, date__isnull=True) | Q(weekday__isnull=True, date__isnull=False),
                name="range_weekly_or_one_off",
            ),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="range_times_ordered"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="range_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(mode="place", place__isnull=False) | (~Q(mode="place") & Q(place__isnull=True)),
                name="range_place_iff_on_site",
            ),
            models.CheckConstraint(condition=Q(weekday__isnull=True) | Q(weekday__lte=6), name="range_weekday_valid"),
        ]
        indexes = [models.Index(fields=["advisor", "organisation"], name="range_advisor_idx")]

    def __str__(self) -> str:
        when = self.get_weekday_display() if self.weekday is not None else f"{self.date:%d/%m/%Y}"
        return f"{when} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Absence(models.Model):
    """An advisor is away (leave, training...): no slot is offered then, whatever the structure."""

    organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("conseiller")
    )
    starts_at = models.DateTimeField(_("du"))
    ends_at = models.DateTimeField(_("au"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("saisie le"), auto_now_add=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="absence_times_ordered")]
        indexes = [models.Index(fields=["advisor", "ends_at"], name="absence_advisor_idx")]

    def __str__(self) -> str:
        return f"{self.starts_at:%d/%m/%Y %H:%M} – {self.ends_at:%d/%m/%Y %H:%M}"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AppointmentQuerySet(TenantQuerySet["Appointment"]):
    def live(self) -> AppointmentQuerySet:
        return self.filter(status__in=Appointment.LIVE_STATUSES)

    def overlapping(self, start: Any, end: Any) -> AppointmentQuerySet:
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class Appointment(TenantOwnedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Prévu")
        CANCELLED = "cancelled", _("Annulé")
        SEEN = "seen", _("Honoré")
        NO_SHOW = "no_show", _("Absence non excusée")
        EXCUSED = "excused", _("Absence excusée")

    # Statuses that hold the advisor's time. An excused appointment frees it (the holder warned,
    # the slot can be given to someone else), like a cancelled one.
    LIVE_STATUSES: ClassVar[tuple[str, ...]] = (Status.BOOKED, Status.SEEN, Status.NO_SHOW)

    organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("structure")
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("conseiller")
    )
    holder = models.ForeignKey(
        "journeys.Holder", on_delete=models.CASCADE, related_name="appointments", verbose_name=_("porteur de projet")
    )
    motive = models.ForeignKey(Motive, on_delete=models.PROTECT, related_name="+", verbose_name=_("motif"))
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    mode = models.CharField(_("modalité"), max_length=5, choices=LocationMode.choices)
    place = models.ForeignKey(
        "territories.Place", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("lieu")
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    note = models.TextField(_("message du porteur"), blank=True)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, related_name="rescheduled_to", null=True, blank=True
    )
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)
    # Who recorded seen / no-show / excused, when and why.
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    outcome_at = models.DateTimeField(_("statut saisi le"), null=True, blank=True)
    outcome_note = models.CharField(_("remarque"), max_length=300, blank=True)
    reminder_sent_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    follow_up = models.OneToOneField(
        "journeys.FollowUp", on_delete=models.SET_NULL, related_name="appointment", null=True, blank=True
    )
    created_at = models.DateTimeField(_("pris le"), auto_now_add=True)

    objects: ClassVar[Any] = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_times_ordered"),
            models.CheckConstraint(
                condition=Q(mode="place", place__isnull=False) | (~Q(mode="place") & Q(place__isnull=True)),
                name="appointment_place_iff_on_site",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False) | ~Q(status="cancelled"),
                name="appointment_cancellation_dated",
            ),
            ExclusionConstraint(
                name=NO_DOUBLE_BOOKING,
                expressions=[
                    ("advisor", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["booked", "seen", "no_show"]),
                violation_error_message=SLOT_TAKEN_MESSAGE,
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "starts_at"], name="appointment_agenda_idx"),
            models.Index(fields=["holder", "starts_at"], name="appointment_holder_idx"),
            # Busy times of an advisor (slots), whatever the structure or the Fabrique.
            models.Index(fields=["advisor", "starts_at"], name="appointment_advisor_idx"),
            models.Index(
                fields=["starts_at"],
                condition=Q(status="booked", reminder_sent_at__isnull=True),
                name="appt_reminder_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.motive} — {self.starts_at:%d/%m/%Y %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class AgendaFeedQuerySet(TenantQuerySet["AgendaFeed"]):
    def active(self) -> AgendaFeedQuerySet:
        return self.filter(revoked_at__isnull=True)


class AgendaFeed(TenantOwnedModel):
    """An advisor's secret calendar feed (ICS) for one Fabrique; revoked by regenerating it."""

    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[Any] = AgendaFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("flux d'agenda")
        verbose_name_plural = _("flux d'agenda")
        constraints = [
            models.UniqueConstraint(
                fields=["fabrique", "advisor"], condition=Q(revoked_at__isnull=True), name="one_live_feed_per_advisor"
            )
        ]

"""A holder's project and its journey, a state machine with one method per transition.

*sensibilisation → émergence → structuration → financement → création/reprise →
post-création*, and the exits *abandon* and *réorientation* (employment or training), from
which a project may resume where it stopped. Every transition is a `StageTransition` row (who,
when, from, to, why): stage entry dates, funnels and durations are computed from that table.
Callers go through `accompaniment.journeys.projects.project_transition`, which locks the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from accompaniment.vocabulary import ProjectKind, Sector, Stage
from fabrique.tenancy import TenantQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from fabrique.models import Organisation, User


class JourneyState(models.TextChoices):
    AWARENESS = Stage.AWARENESS.value, Stage.AWARENESS.label
    EMERGENCE = Stage.EMERGENCE.value, Stage.EMERGENCE.label
    STRUCTURING = Stage.STRUCTURING.value, Stage.STRUCTURING.label
    FINANCING = Stage.FINANCING.value, Stage.FINANCING.label
    CREATION = Stage.CREATION.value, Stage.CREATION.label
    POST_CREATION = Stage.POST_CREATION.value, Stage.POST_CREATION.label
    ABANDONED = "abandoned", _("Abandon")
    REORIENTED_EMPLOYMENT = "reoriented_employment", _("Réorientation vers l'emploi")
    REORIENTED_TRAINING = "reoriented_training", _("Réorientation vers une formation")


EXITS = frozenset({JourneyState.ABANDONED, JourneyState.REORIENTED_EMPLOYMENT, JourneyState.REORIENTED_TRAINING})
# Where a project may leave from: not once the business exists.
ACTIVE_BEFORE_CREATION = frozenset(
    {JourneyState.AWARENESS, JourneyState.EMERGENCE, JourneyState.STRUCTURING, JourneyState.FINANCING}
)
JOURNEY_ORDER = [
    JourneyState.AWARENESS,
    JourneyState.EMERGENCE,
    JourneyState.STRUCTURING,
    JourneyState.FINANCING,
    JourneyState.CREATION,
    JourneyState.POST_CREATION,
]


# Transition (a method of Project) → the states it leaves from and its label for the advisors.
TRANSITIONS: dict[str, tuple[frozenset[str], StrOrPromise]] = {
    "start_emergence": (frozenset({JourneyState.AWARENESS}), _("Passer à l'émergence de l'idée")),
    "start_structuring": (
        frozenset({JourneyState.AWARENESS, JourneyState.EMERGENCE, JourneyState.FINANCING}),
        _("Passer à la structuration du projet"),
    ),
    "start_financing": (frozenset({JourneyState.STRUCTURING}), _("Passer au financement")),
    "record_creation": (
        frozenset({JourneyState.STRUCTURING, JourneyState.FINANCING}),
        _("Enregistrer la création ou la reprise"),
    ),
    "start_post_creation": (frozenset({JourneyState.CREATION}), _("Passer au suivi après création")),
    "abandon": (ACTIVE_BEFORE_CREATION, _("Le porteur abandonne son projet")),
    "reorient_to_employment": (ACTIVE_BEFORE_CREATION, _("Réorienter vers l'emploi")),
    "reorient_to_training": (ACTIVE_BEFORE_CREATION, _("Réorienter vers une formation")),
    "resume": (EXITS, _("Reprendre le parcours")),
}


class LegalForm(models.TextChoices):
    UNDECIDED = "undecided", _("Pas encore choisie")
    MICRO = "micro", _("Micro-entreprise")
    EI = "ei", _("Entreprise individuelle")
    EURL = "eurl", _("EURL")
    SASU = "sasu", _("SASU")
    SARL = "sarl", _("SARL")
    SAS = "sas", _("SAS")
    SCOP = "scop", _("SCOP ou SCIC")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Autre")


class TransitionNotAllowed(ValidationError):
    pass


class ProjectQuerySet(TenantQuerySet["Project"]):
    fabrique_lookup = "holder__fabrique"

    def in_progress(self) -> ProjectQuerySet:
        return self.exclude(state__in=EXITS)


class Project(models.Model):
    holder = models.ForeignKey("journeys.Holder", on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("intitulé du projet"), max_length=200)
    description = models.TextField(_("l'idée en quelques mots"), blank=True)
    sector = models.CharField(_("secteur"), max_length=20, choices=Sector.choices, blank=True)
    kind = models.CharField(
        _("création ou reprise"), max_length=10, choices=ProjectKind.choices, default=ProjectKind.CREATION
    )
    legal_form = models.CharField(
        _("forme juridique envisagée"), max_length=12, choices=LegalForm.choices, default=LegalForm.UNDECIDED
    )
    state = models.CharField(
        _("étape"), max_length=24, choices=JourneyState.choices, default=JourneyState.AWARENESS, db_index=True
    )
    state_entered_at = models.DateTimeField(_("à cette étape depuis le"), default=timezone.now)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    # ------------------------------------------------------------------ transitions
    def start_emergence(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("start_emergence", JourneyState.EMERGENCE, by, organisation, reason)

    def start_structuring(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("start_structuring", JourneyState.STRUCTURING, by, organisation, reason)

    def start_financing(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("start_financing", JourneyState.FINANCING, by, organisation, reason)

    def record_creation(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("record_creation", JourneyState.CREATION, by, organisation, reason)

    def start_post_creation(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("start_post_creation", JourneyState.POST_CREATION, by, organisation, reason)

    def abandon(self, *, by: User | None, organisation: Organisation | None, reason: str = "") -> StageTransition:
        if not reason.strip():
            raise TransitionNotAllowed(_g("Indiquez la raison de l'abandon."), code="reason_required")
        return self._apply("abandon", JourneyState.ABANDONED, by, organisation, reason)

    def reorient_to_employment(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("reorient_to_employment", JourneyState.REORIENTED_EMPLOYMENT, by, organisation, reason)

    def reorient_to_training(
        self, *, by: User | None, organisation: Organisation | None, reason: str = ""
    ) -> StageTransition:
        return self._apply("reorient_to_training", JourneyState.REORIENTED_TRAINING, by, organisation, reason)

    def resume(self, *, by: User | None, organisation: Organisation | None, reason: str = "") -> StageTransition:
        """Back from an exit to the stage the project left from."""
        last_exit = self.transitions.filter(to_state=self.state).order_by("-at", "-pk").first()
        target = JourneyState(last_exit.from_state) if last_exit and last_exit.from_state else JourneyState.AWARENESS
        return self._apply("resume", target, by, organisation, reason)

    def available_transitions(self) -> list[tuple[str, str]]:
        """(method name, French label) of the transitions allowed from the current state."""
        return [(name, str(label)) for name, (sources, label) in TRANSITIONS.items() if self.state in sources]

    def _apply(
        self, name: str, target: JourneyState, by: User | None, organisation: Organisation | None, reason: str
    ) -> StageTransition:
        current = JourneyState(self.state)
        if current not in TRANSITIONS[name][0]:
            raise TransitionNotAllowed(
                _g("Le projet est à l'étape « %(current)s » : il ne peut pas passer à « %(target)s ».")
                % {"current": current.label, "target": target.label},
                code="transition_not_allowed",
            )
        now = timezone.now()
        self.state = target
        self.state_entered_at = now
        self.save(update_fields=["state", "state_entered_at", "updated_at"])
        return StageTransition.objects.create(
            project=self,
            from_state=current,
            to_state=target,
            by=by,
            organisation=organisation,
            at=now,
            reason=reason.strip(),
        )


class StageTransition(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(_("de"), max_length=24, choices=JourneyState.choices, blank=True)
    to_state = models.CharField(_("vers"), max_length=24, choices=JourneyState.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    reason = models.TextField(_("raison"), blank=True)

    class Meta:
        verbose_name = _("changement d'étape")
        verbose_name_plural = _("changements d'étape")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["project", "at"], name="transition_project_at_idx")]

    def __str__(self) -> str:
        return f"{self.project}: {self.from_state or '—'} → {self.to_state}"

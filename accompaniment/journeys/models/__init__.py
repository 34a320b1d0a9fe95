"""Holders' files and journeys: one file per person and Fabrique, shared by the structures
that follow them (with their consent), projects moving through the journey's stages,
follow-ups, referrals, financing and outcomes, walk-ins at places."""

from accompaniment.journeys.models.followup import FollowUp
from accompaniment.journeys.models.holder import EducationLevel, Gender, Holder, SupportLink
from accompaniment.journeys.models.outcome import CreationRecord, FinancingRequest, PostCreationCheck
from accompaniment.journeys.models.project import (
    JourneyState,
    LegalForm,
    Project,
    StageTransition,
    TransitionNotAllowed,
)
from accompaniment.journeys.models.referral import Referral
from accompaniment.journeys.models.walkin import WalkIn

__all__ = [
    "CreationRecord",
    "EducationLevel",
    "FinancingRequest",
    "FollowUp",
    "Gender",
    "Holder",
    "JourneyState",
    "LegalForm",
    "PostCreationCheck",
    "Project",
    "Referral",
    "StageTransition",
    "SupportLink",
    "TransitionNotAllowed",
    "WalkIn",
]

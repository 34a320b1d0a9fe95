"""Who sees which holder file, and which notes in it.

- an advisor or structure manager sees the holders their structure follows (a live
  `SupportLink`), on the portal of the holder's Fabrique; nobody else's;
- territory staff see every holder of their Fabrique, but no follow-up summary (they steer,
  they do not accompany);
- funder staff and holders see no one's file but, for holders, their own;
- a follow-up's summary is read by its author's structure, and by another structure following
  the holder only when it is marked shared and the holder agreed to sharing with both.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accompaniment.journeys.models import Holder, SupportLink
from accompaniment.journeys.models.holder import HolderQuerySet
from fabrique.models import Fabrique, Membership, Organisation, Role

ADVISOR_ROLES = frozenset({Role.ADVISOR, Role.STRUCTURE_MANAGER})
CASELOAD_ROLES = ADVISOR_ROLES | {Role.TERRITORY_STAFF}


def acting_organisations(user: Any, fabrique: Fabrique) -> QuerySet[Organisation]:
    """The support actors `user` works for as advisor or manager, that serve `fabrique`."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    memberships = Membership.objects.active().filter(user=user, role__in=ADVISOR_ROLES)
    return Organisation.objects.filter(
        pk__in=memberships.values("organisation_id"), fabriques=fabrique, kind=Organisation.Kind.SUPPORT_ACTOR
    ).order_by("name", "pk")


def is_territory_staff(user: Any, fabrique: Fabrique) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.active().filter(user=user, role=Role.TERRITORY_STAFF, fabrique=fabrique).exists()
    )


def holders_visible_to(user: Any, fabrique: Fabrique) -> HolderQuerySet:
    # An erased file is anonymous statistics now: nobody opens it.
    holders: HolderQuerySet = Holder.objects.for_fabrique(fabrique).filter(erased_at__isnull=True)  # type: ignore[assignment]
    if is_territory_staff(user, fabrique):
        return holders
    return holders.followed_by(acting_organisations(user, fabrique).values("pk"))


def get_holder_or_404(user: Any, fabrique: Fabrique, pk: int) -> Holder:
    try:
        return holders_visible_to(user, fabrique).get(pk=pk)
    except Holder.DoesNotExist:
        raise Http404 from None


def summary_readable_by(organisation_ids: QuerySet | list[int]) -> Q:
    """Condition on FollowUp: its summary may be read by one of these structures."""
    author_shares = SupportLink.objects.live().filter(
        holder_id=OuterRef("holder_id"), organisation_id=OuterRef("organisation_id"), shares_file=True
    )
    reader_shares = SupportLink.objects.live().filter(
        holder_id=OuterRef("holder_id"), organisation_id__in=organisation_ids, shares_file=True
    )
    return Q(organisation_id__in=organisation_ids) | Q(Exists(author_shares), Exists(reader_shares), is_shared=True)


def summary_readable_in_file(links: list[SupportLink], organisation_ids: list[int]) -> Q:
    """`summary_readable_by` for the notes of one holder whose live links are known: the same
    rule with the consents resolved from `links`, so the condition is plain ids (the correlated
    EXISTS of the general form cost more than the rest of a holder's file)."""
    sharing = {link.organisation_id for link in links if link.shares_file and link.ended_at is None}
    condition = Q(organisation_id__in=organisation_ids)
    if sharing & set(organisation_ids):
        condition |= Q(is_shared=True, organisation_id__in=sorted(sharing))
    return condition

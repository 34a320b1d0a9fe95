"""Services: tell whether an address is in a QPV, store the answer with its date and source.

- `address_check_create` geocodes with the BAN, then finds the QPV containing the point:
  a VERIFIED check (or NOT_FOUND when the BAN finds nothing precise enough). When the BAN
  cannot be reached it raises `GeocoderUnavailable`: the caller then offers the
  declaration instead of blocking the person.
- `address_check_declare` stores what the person says (a QPV of their commune, "none" or
  "I don't know") as a DECLARED check, to be verified later.
- `address_check_verify` re-geocodes a DECLARED check: VERIFIED on success (the declaration
  is kept beside the result), NOT_FOUND when the BAN has no such address, and on an outage
  one more attempt counted with its error.

Declared checks are verified in the background by `territories.tasks`: the caller that
creates one enqueues `address_check_verify_one` after its commit (territories does not
publish jobs itself), and the periodic `address_checks_verify_pending` sweep catches every
declared check whatever the caller did, with an exponential backoff
(`address_checks_due_for_verification`). The geocoder is always called outside any
transaction, so no row stays locked while the network is slow.
"""

from __future__ import annotations

import datetime
import functools
import operator

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from territories.ban import GeocodedAddress, GeocoderUnavailable, geocode
from territories.models import QPV, AddressCheck, Commune
from territories.qpv_lookup import qpv_at

__all__ = [
    "MAX_VERIFICATION_ATTEMPTS",
    "VERIFICATION_BACKOFF",
    "GeocoderUnavailable",
    "address_check_create",
    "address_check_declare",
    "address_check_verify",
    "address_checks_due_for_verification",
]

# A declared check is retried at most this many times...
MAX_VERIFICATION_ATTEMPTS = 10
# ...attempt n (from 0) being due BACKOFF × (2^n − 1) after the declaration:
# at once, then 15 min, 45 min, 1 h 45, 3 h 45... the tenth about 5 days later.
VERIFICATION_BACKOFF = datetime.timedelta(minutes=15)
# A match for the whole commune only (its centre) says nothing about a neighbourhood.
IMPRECISE_KINDS = frozenset({"municipality"})
LAST_ERROR_MAX_LENGTH = AddressCheck._meta.get_field("last_error").max_length or 300


def _locate(address: str, *, citycode: str = "", postcode: str = "") -> GeocodedAddress | None:
    """The BAN's match, precise enough to place the address in a neighbourhood; None otherwise."""
    match = geocode(address, citycode=citycode, postcode=postcode)
    if match is None or match.kind in IMPRECISE_KINDS:
        return None
    return match


def _commune_of(match: GeocodedAddress, fallback: Commune | None) -> Commune | None:
    return Commune.objects.filter(insee=match.citycode).first() or fallback


def _query(address: str, postcode: str) -> str:
    address = " ".join(address.split())
    if postcode and postcode not in address:
        return f"{address} {postcode}"
    return address


def address_check_create(*, address: str, postcode: str = "", commune: Commune | None = None) -> AddressCheck:
    """Geocode `address` and store whether it lies in a QPV. Raises GeocoderUnavailable."""
    query = _query(address, postcode)
    match = _locate(query, citycode=commune.insee if commune else "", postcode=postcode)
    now = timezone.now()
    if match is None:
        check = AddressCheck(
            address=query,
            commune=commune,
            status=AddressCheck.Status.NOT_FOUND,
            source=AddressCheck.Source.BAN,
            in_qpv=None,
            checked_at=now,
        )
    else:
        qpv = qpv_at(match.latitude, match.longitude)
        check = AddressCheck(
            address=match.label or query,
            commune=_commune_of(match, commune),
            latitude=match.latitude,
            longitude=match.longitude,
            geocoding_score=match.score,
            status=AddressCheck.Status.VERIFIED,
            source=AddressCheck.Source.BAN,
            in_qpv=qpv is not None,
            qpv=qpv,
            checked_at=now,
        )
    with transaction.atomic():
        check.full_clean()
        check.save()
    return check


def address_check_declare(
    *, address: str, commune: Commune, answer: AddressCheck.Declared | str, qpv: QPV | None = None
) -> AddressCheck:
    """Store the person's own answer, to be verified later. Raises ValidationError (in French)."""
    try:
        answer = AddressCheck.Declared(answer)
    except ValueError:
        raise ValidationError({"declared_answer": _("Choisissez une des réponses proposées.")}) from None
    if answer == AddressCheck.Declared.QPV:
        if qpv is None:
            raise ValidationError({"declared_qpv": _("Choisissez votre quartier prioritaire.")})
        if not qpv.communes.filter(pk=commune.pk).exists():
            raise ValidationError(
                {
                    "declared_qpv": _("Le quartier %(qpv)s n'est pas dans la commune de %(commune)s.")
                    % {"qpv": qpv.name, "commune": commune.name}
                }
            )
    elif qpv is not None:
        raise ValidationError({"declared_qpv": _("Un quartier n'est indiqué que si vous y habitez.")})
    in_qpv = {AddressCheck.Declared.QPV: True, AddressCheck.Declared.NONE: False}.get(answer)
    check = AddressCheck(
        address=" ".join(address.split()),
        commune=commune,
        status=AddressCheck.Status.DECLARED,
        source=AddressCheck.Source.DECLARATION,
        in_qpv=in_qpv,
        qpv=qpv,
        checked_at=timezone.now(),
        declared_answer=answer,
        declared_qpv=qpv,
    )
    with transaction.atomic():
        check.full_clean()
        check.save()
    return check


def address_check_verify(*, check: AddressCheck) -> AddressCheck:
    """Geocode a DECLARED check again and record the outcome; anything else is returned as it is.

    Success: VERIFIED from the BAN (declared_answer/declared_qpv kept). No such address:
    NOT_FOUND, the declaration standing as the answer. BAN unavailable: still DECLARED,
    one more attempt and its error recorded (GeocoderUnavailable is not raised).
    """
    if check.status != AddressCheck.Status.DECLARED:
        return check
    citycode = check.commune.insee if check.commune else ""
    try:
        match = _locate(check.address, citycode=citycode)
        failure = ""
    except GeocoderUnavailable as error:
        match, failure = None, str(error) or error.__class__.__name__
    # The QPV lookup runs before the lock is taken: the lock covers one row's update only.
    qpv = qpv_at(match.latitude, match.longitude) if match else None
    with transaction.atomic():
        locked = AddressCheck.objects.select_for_update().get(pk=check.pk)
        if locked.status != AddressCheck.Status.DECLARED:  # verified meanwhile by another worker
            return locked
        locked.verification_attempts += 1
        fields = ["verification_attempts", "last_error"]
        if failure:
            locked.last_error = failure[:LAST_ERROR_MAX_LENGTH]
        elif match is None:
            locked.status = AddressCheck.Status.NOT_FOUND
            locked.last_error = _("Adresse introuvable dans la Base Adresse Nationale.")
            fields.append("status")
        else:
            locked.address = match.label or locked.address
            locked.commune = _commune_of(match, locked.commune)
            locked.latitude, locked.longitude = match.latitude, match.longitude
            locked.geocoding_score = match.score
            locked.status = AddressCheck.Status.VERIFIED
            locked.source = AddressCheck.Source.BAN
            locked.in_qpv = qpv is not None
            locked.qpv = qpv
            locked.checked_at = timezone.now()
            locked.last_error = ""
            fields += [
                "address",
                "commune",
                "latitude",
                "longitude",
                "geocoding_score",
                "status",
                "source",
                "in_qpv",
                "qpv",
                "checked_at",
            ]
        locked.full_clean()
        locked.save(update_fields=fields)
    return locked


def address_checks_due_for_verification(*, now: datetime.datetime | None = None) -> QuerySet[AddressCheck]:
    """The DECLARED checks whose next verification attempt is due, oldest first."""
    now = now or timezone.now()
    due = functools.reduce(
        operator.or_,
        (
            Q(verification_attempts=attempts, checked_at__lte=now - VERIFICATION_BACKOFF * (2**attempts - 1))
            for attempts in range(MAX_VERIFICATION_ATTEMPTS)
        ),
    )
    return AddressCheck.objects.awaiting_verification().filter(due).order_by("checked_at", "pk")


# Checks nobody points to (e.g. from the public "am I in a QPV?" page) are personal data
# with no use once verified: they are deleted after this delay (past the verification backoff).
ORPHAN_RETENTION = datetime.timedelta(days=30)


def address_checks_purge_orphans(*, now: datetime.datetime | None = None) -> int:
    """Delete old checks that no other row references; returns how many were deleted.

    Models that point to a check must give their foreign key a related_name (not "+"),
    so that the purge can see them; a hidden one stops the purge rather than lose data.
    """
    hidden = [f for f in AddressCheck._meta.get_fields(include_hidden=True) if f.auto_created and f.hidden]
    if hidden:
        raise ImproperlyConfigured(f"AddressCheck has hidden reverse relations, cannot purge safely: {hidden}")
    orphans = AddressCheck.objects.filter(checked_at__lt=(now or timezone.now()) - ORPHAN_RETENTION)
    for relation in AddressCheck._meta.related_objects:
        orphans = orphans.filter(**{f"{relation.name}__isnull": True})
    deleted, _ = orphans.delete()
    return deleted

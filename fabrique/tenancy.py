"""Tenant scoping: the base for tenant-owned models and the helpers that 404 outside the tenant.

Every model that belongs to one Fabrique inherits `TenantOwnedModel` (or gives its
queryset a `for_fabrique`), and every view fetches objects through
`get_for_fabrique_or_404`, so that an identifier from another Fabrique is a 404,
never a leak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from fabrique.models import Fabrique

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M]):
    """QuerySet of a tenant-owned model. `fabrique_lookup` names the path to the tenant."""

    fabrique_lookup = "fabrique"

    def for_fabrique(self, fabrique: Fabrique) -> TenantQuerySet[_M]:
        return self.filter(**{self.fabrique_lookup: fabrique})


class TenantOwnedModel(models.Model):
    fabrique = models.ForeignKey("fabrique.Fabrique", on_delete=models.PROTECT, related_name="+")

    objects: Any = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def get_current_fabrique_or_404(request: HttpRequest) -> Fabrique:
    """The Fabrique of this request; 404 on the national portal, which has none."""
    fabrique = getattr(request, "fabrique", None)
    if fabrique is None:
        raise Http404(_("Cette page n'existe que sur le portail d'une Fabrique."))
    return fabrique


def get_for_fabrique_or_404(queryset: models.QuerySet[_M], fabrique: Fabrique, **lookup: Any) -> _M:
    """Fetch one object of `fabrique`; anything else, including another tenant's object, is a 404."""
    scoped = queryset.for_fabrique(fabrique)  # type: ignore[attr-defined]
    try:
        return scoped.get(**lookup)
    except scoped.model.DoesNotExist:
        raise Http404 from None

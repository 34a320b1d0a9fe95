"""The Fabrique's targets, kept by its territory staff (the figures its funders hold it to)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fabrique.access import fabrique_role_required
from fabrique.forms import FabriqueTargetForm
from fabrique.models import FabriqueTarget, Role
from fabrique.tenancy import get_current_fabrique_or_404, get_for_fabrique_or_404


@fabrique_role_required(Role.TERRITORY_STAFF)
def target_list(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    targets = FabriqueTarget.objects.for_fabrique(fabrique).order_by("-starts_on", "indicator")
    return render(request, "fabrique/target_list.html", {"targets": targets})


@fabrique_role_required(Role.TERRITORY_STAFF)
def target_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    target = get_for_fabrique_or_404(FabriqueTarget.objects.all(), fabrique, pk=pk) if pk else None
    form = FabriqueTargetForm(request.POST or None, instance=target, fabrique=fabrique)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Objectif enregistré."))
        return redirect("target_list")
    return render(request, "fabrique/target_form.html", {"form": form, "target": target})

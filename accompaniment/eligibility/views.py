"""« Suis-je dans un quartier prioritaire ? » — on every Fabrique's portal and on the national one.

1. `check`: the person gives an address and postcode; the BAN geocodes it and the QPV
   polygons say where it lies. The result is stored and shown by `result`.
2. When the BAN cannot be reached (or does not know the address), nobody is blocked:
   `declare` lets the person pick their commune (when several share the postcode), then
   their QPV among the commune's, "none" or "I don't know". The answer is stored as
   declared and verified in the background once the BAN answers again.

Checks are personal data and belong to no tenant: no URL ever carries a check's id. The
result page shows only the check this browser's session has just made.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accompaniment.eligibility.forms import AddressForm, CommuneForm, DeclarationForm, communes_for_postcode
from fabrique.jobs import job_enqueue_on_commit
from territories.address_checks import GeocoderUnavailable, address_check_create, address_check_declare
from territories.models import AddressCheck, Commune
from territories.tasks import address_check_verify_one

logger = logging.getLogger(__name__)

SESSION_KEY = "eligibility_address_check"
# Why the person is asked to declare (a hidden field carries it between steps).
REASON_UNAVAILABLE = "unavailable"
REASON_NOT_FOUND = "not_found"


@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "eligibility/check.html", {"form": form})
    address, postcode = form.cleaned_data["address"], form.cleaned_data["postcode"]
    try:
        address_check = address_check_create(address=address, postcode=postcode)
    except GeocoderUnavailable as error:
        logger.warning("address check: the BAN is unavailable, offering the declaration: %s", error)
        return _declaration_step(request, address=address, postcode=postcode, reason=REASON_UNAVAILABLE)
    if address_check.status == AddressCheck.Status.NOT_FOUND:
        return render(request, "eligibility/check.html", {"form": form, "not_found": True})
    return _show(request, address_check)


@never_cache
@require_POST
def declare(request: HttpRequest) -> HttpResponse:
    carried = AddressForm(request.POST)
    if not carried.is_valid():
        return render(request, "eligibility/check.html", {"form": carried})
    address, postcode = carried.cleaned_data["address"], carried.cleaned_data["postcode"]
    reason = REASON_NOT_FOUND if request.POST.get("reason") == REASON_NOT_FOUND else REASON_UNAVAILABLE
    step = request.POST.get("step", "")
    communes = communes_for_postcode(postcode)
    commune: Commune | None = None
    if step in ("commune", "answer"):
        commune_form = CommuneForm(request.POST, communes=communes)
        if commune_form.is_valid():
            commune = commune_form.cleaned_data["commune"]
        elif step == "commune":
            return _render_declaration(request, reason=reason, commune_form=commune_form)
    if step != "answer" or commune is None:
        return _declaration_step(request, address=address, postcode=postcode, reason=reason, commune=commune)

    form = DeclarationForm(request.POST, communes=communes, commune=commune)
    if form.is_valid():
        answer, qpv = form.declared()
        try:
            with transaction.atomic():
                full_address = address if postcode in address else f"{address} {postcode}"
                address_check = address_check_declare(address=full_address, commune=commune, answer=answer, qpv=qpv)
                # territories publishes no job itself (it cannot import the platform's job helper):
                # the caller sends the first verification after the commit; the periodic sweep
                # (territories.address_checks_verify_pending) catches it if this one is lost.
                job_enqueue_on_commit(address_check_verify_one, address_check.pk)
        except ValidationError as error:
            form.add_error("answer", error.messages)
        else:
            return _show(request, address_check)
    return _render_declaration(request, reason=reason, form=form)


@never_cache
@require_GET
def result(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(SESSION_KEY)
    address_check = (
        AddressCheck.objects.select_related("qpv", "commune", "declared_qpv").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if address_check is None:
        return redirect("eligibility:check")
    fabrique = getattr(request, "fabrique", None)
    commune = address_check.commune
    outside_perimeter = bool(
        fabrique is not None
        and commune is not None
        and not (commune.epci_id and fabrique.perimeter.filter(pk=commune.epci_id).exists())
    )
    context = {"check": address_check, "Status": AddressCheck.Status, "outside_perimeter": outside_perimeter}
    return render(request, "eligibility/result.html", context)


def _show(request: HttpRequest, address_check: AddressCheck) -> HttpResponse:
    """Keep the check in this browser's session only, then show it (post/redirect/get)."""
    request.session[SESSION_KEY] = address_check.pk
    return redirect("eligibility:result")


def _declaration_step(
    request: HttpRequest, *, address: str, postcode: str, reason: str, commune: Commune | None = None
) -> HttpResponse:
    """The next unanswered question: which commune (when several share the postcode), then which QPV."""
    communes = communes_for_postcode(postcode)
    initial = {"address": address, "postcode": postcode}
    if commune is None:
        candidates = list(communes[:2])
        if len(candidates) != 1:
            return _render_declaration(
                request, reason=reason, commune_form=CommuneForm(initial=initial, communes=communes)
            )
        commune = candidates[0]
    form = DeclarationForm(initial=initial, communes=communes, commune=commune)
    return _render_declaration(request, reason=reason, form=form)


def _render_declaration(
    request: HttpRequest,
    *,
    reason: str,
    form: DeclarationForm | None = None,
    commune_form: CommuneForm | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {"reason": reason, "form": form, "commune_form": commune_form}
    if form is not None:
        context["commune"] = form.chosen_commune
        context["qpv_count"] = len(form.qpvs)
    return render(request, "eligibility/declare.html", context)

"""« Quelle aide pour moi ? » — on every Fabrique's portal and on the national one.

1. `questionnaire`: where I live (postcode, commune when several share it, optionally the
   address, checked with the BAN through `territories.address_checks`; when the BAN is down
   or does not know the address, the person's own "oui / non / je ne sais pas" stands), my
   situation and age, my project. Valid answers go to the session, then post/redirect/get.
2. `results`: the aid schemes and structures visible here, each matched by
   `accompaniment.catalogue.matching` with its reasons; the ones that do not fit are in a
   collapsed section with the reason why.
3. `forget`: erase the answers from the session.

The answers are personal data: they live only in this browser's session, under
`SESSION_KEY` (never in a URL, never in a table — except the address check the BAN
verification stores, purged like every orphan check). Logging in or signing up on the
same browser keeps the session's data (Django cycles the key, not the content), so the
results page still shows them; the holder profile (a later issue) is to import
`request.session[SESSION_KEY]["answers"]` (see `Answers.from_session`) when it is created.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accompaniment.catalogue.forms_questionnaire import QuestionnaireForm
from accompaniment.catalogue.matching import Answers, Match, match_aid, match_structure, rank
from accompaniment.catalogue.models import AidScheme, Offer, Structure
from accompaniment.catalogue.selectors import (
    aid_schemes_visible_in,
    coverage_reaches,
    open_on,
    structures_visible_in,
)
from fabrique.models import Fabrique
from territories.address_checks import GeocoderUnavailable, address_check_create
from territories.models import AddressCheck, Commune

logger = logging.getLogger(__name__)

FEATURED_FIRST = F("is_featured").desc()  # annotated by the selectors

SESSION_KEY = "catalogue_questionnaire"
# How the QPV answer was obtained (shown on the results page).
QPV_VERIFIED, QPV_DECLARED, QPV_BAN_UNAVAILABLE, QPV_ADDRESS_NOT_FOUND = (
    "verified",
    "declared",
    "ban_unavailable",
    "address_not_found",
)


@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        stored = _stored(request)
        initial = _initial(stored[0]) if stored else None
        return render(request, "catalogue/questionnaire/form.html", {"form": QuestionnaireForm(initial=initial)})
    form = QuestionnaireForm(request.POST)
    if not form.is_valid():
        return render(request, "catalogue/questionnaire/form.html", {"form": form})
    data = form.cleaned_data
    commune: Commune = data["commune"]
    in_qpv, qpv_name, qpv_source = form.declared_in_qpv(), "", QPV_DECLARED
    if data["address"]:
        try:
            check = address_check_create(address=data["address"], postcode=data["postcode"], commune=commune)
        except GeocoderUnavailable as error:
            logger.warning("questionnaire: the BAN is unavailable, keeping the declared answer: %s", error)
            qpv_source = QPV_BAN_UNAVAILABLE
        except ValidationError:  # an answer the check cannot store (e.g. too long once labelled)
            logger.warning("questionnaire: the address check was refused, keeping the declared answer")
            qpv_source = QPV_ADDRESS_NOT_FOUND
        else:
            if check.status == AddressCheck.Status.VERIFIED:
                in_qpv, qpv_source = check.in_qpv, QPV_VERIFIED
                qpv_name = check.qpv.name if check.qpv else ""
                commune = check.commune or commune
            else:
                qpv_source = QPV_ADDRESS_NOT_FOUND
    answers = Answers(
        postcode=data["postcode"],
        commune_insee=commune.insee,
        commune_name=commune.name,
        in_qpv=in_qpv,
        qpv_name=qpv_name,
        age=data["age"],
        birth_year=data["birth_year"],
        situation=data["situation"],
        stage=data["stage"],
        sector=data["sector"],
        project_kind=data["project_kind"],
        business_age_months=data["business_age_months"],
    )
    request.session[SESSION_KEY] = {"answers": answers.to_session(), "qpv_source": qpv_source}
    return redirect("catalogue:questionnaire_results")


@never_cache
@require_http_methods(["GET"])
def results(request: HttpRequest) -> HttpResponse:
    stored = _stored(request)
    if stored is None:
        return redirect("catalogue:questionnaire")
    answers, qpv_source = stored
    fabrique: Fabrique | None = getattr(request, "fabrique", None)
    commune = Commune.objects.filter(insee=answers.commune_insee).first()
    today = timezone.localdate()
    aid_matches = rank(match_aid(aid, answers, today=today) for aid in _aid_schemes(fabrique, commune))
    structure_matches = rank(
        match_structure(structure, answers, today=today) for structure in _structures(fabrique, commune)
    )
    context: dict[str, Any] = {
        "answers": answers,
        "qpv_source": qpv_source,
        "commune": commune,
        "outside_perimeter": _outside_perimeter(fabrique, commune),
        "aids": _split(aid_matches),
        "structures": _split(structure_matches),
    }
    return render(request, "catalogue/questionnaire/results.html", context)


@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("catalogue:questionnaire")


# ---------------------------------------------------------------------------------- helpers
def _stored(request: HttpRequest) -> tuple[Answers, str] | None:
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return None
    answers = Answers.from_session(stored.get("answers"))
    if answers is None or not answers.commune_insee:
        return None
    return answers, str(stored.get("qpv_source", QPV_DECLARED))


def _initial(answers: Answers) -> dict[str, Any]:
    """The form pre-filled from the session (the address is not kept: only its verdict)."""
    initial: dict[str, Any] = {
        name: value
        for name, value in answers.to_session().items()
        if name in QuestionnaireForm.base_fields and value not in (None, "")
    }
    initial["commune"] = answers.commune_insee
    initial["lives_in_qpv"] = {True: "yes", False: "no"}.get(answers.in_qpv, "unknown")  # type: ignore[arg-type]
    return initial


def _aid_schemes(fabrique: Fabrique | None, commune: Commune | None) -> QuerySet[AidScheme]:
    """The Fabrique's visible schemes; on the national portal, national ones plus the commune's local ones."""
    if fabrique is not None:
        schemes = aid_schemes_visible_in(fabrique)
    elif commune is not None and commune.epci_id is not None:
        schemes = AidScheme.objects.filter(
            open_on(timezone.localdate()), coverage_reaches(epci_ids=[commune.epci_id]), is_active=True
        ).annotate(is_featured=Value(False))
    else:
        schemes = aid_schemes_visible_in(None)
    return schemes.select_related("operator").order_by(FEATURED_FIRST, "name", "pk")


def _structures(fabrique: Fabrique | None, commune: Commune | None) -> QuerySet[Structure]:
    """Structures serving the Fabrique; on the national portal, those serving the person's commune."""
    structures = structures_visible_in(fabrique)
    if fabrique is None:
        if commune is None:
            return structures.none()
        serves_commune = Structure.communes_served.through.objects.filter(
            structure_id=OuterRef("pk"), commune_id=commune.pk
        )
        condition = Q(Exists(serves_commune))
        if commune.epci_id is not None:
            condition |= Q(organisation__fabriques__perimeter=commune.epci_id, organisation__fabriques__is_active=True)
        structures = structures.filter(condition).distinct()
    return (
        structures.select_related("commune")
        .prefetch_related(Prefetch("offers", queryset=Offer.objects.filter(is_active=True).order_by("title", "pk")))
        .order_by(FEATURED_FIRST, "name", "pk")
    )


def _outside_perimeter(fabrique: Fabrique | None, commune: Commune | None) -> bool:
    if fabrique is None or commune is None:
        return False
    return not (commune.epci_id and fabrique.perimeter.filter(pk=commune.epci_id).exists())


def _split(matches: list[Match]) -> dict[str, list[Match]]:
    return {
        "fitting": [m for m in matches if m.eligible is True],
        "maybe": [m for m in matches if m.eligible is None],
        "not_fitting": [m for m in matches if m.eligible is False],
    }


urlpatterns: list[URLPattern] = [
    path("quelle-aide-pour-moi/", questionnaire, name="questionnaire"),
    path("quelle-aide-pour-moi/resultats/", results, name="questionnaire_results"),
    path("quelle-aide-pour-moi/effacer/", forget, name="questionnaire_forget"),
]

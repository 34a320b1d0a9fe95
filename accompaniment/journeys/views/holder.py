"""The holder's space (`/mon-parcours/`): my journey, my profile, my projects, the structures that
follow me and my consents, my data.

Holders of the current Fabrique only (anyone else: 404, anonymous: login). Everything is
fetched from the holder's own file (`holder_file_for_account`), so an identifier of another
holder's object is a 404 whatever it is.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accompaniment.catalogue.matching import Answers
from accompaniment.catalogue.views.questionnaire import SESSION_KEY as QUESTIONNAIRE_SESSION_KEY
from accompaniment.journeys import holder_space
from accompaniment.journeys.erasure import holder_file_erase
from accompaniment.journeys.forms_holder import (
    HolderProfileForm,
    HolderProjectForm,
    LinkActionForm,
    initial_from_answers,
)
from accompaniment.journeys.holders import holder_file_for_account
from accompaniment.journeys.models import Holder, Project, SupportLink
from accompaniment.journeys.projects import project_create
from fabrique.access import fabrique_role_required
from fabrique.forms import form_add_service_errors
from fabrique.models import Role
from fabrique.tenancy import get_current_fabrique_or_404

holder_required = fabrique_role_required(Role.HOLDER)
# `?depuis=questionnaire`: pre-fill a form from the « Quelle aide pour moi ? » answers.
FROM_QUESTIONNAIRE = "questionnaire"


def _holder(request: HttpRequest) -> Holder:
    return holder_file_for_account(request.user, get_current_fabrique_or_404(request))


def _answers(request: HttpRequest) -> Answers | None:
    stored = request.session.get(QUESTIONNAIRE_SESSION_KEY)
    answers = Answers.from_session(stored.get("answers")) if isinstance(stored, dict) else None
    return answers if answers is not None and answers.commune_insee else None


@never_cache
@holder_required
@require_GET
def my_journey(request: HttpRequest) -> HttpResponse:
    holder = _holder(request)
    context = {
        "holder": holder,
        "has_questionnaire_answers": _answers(request) is not None,
        "from_questionnaire": FROM_QUESTIONNAIRE,
        **holder_space.holder_journey(holder),
    }
    return render(request, "journeys/holder/my_journey.html", context)


@never_cache
@holder_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    holder = _holder(request)
    initial = None
    answers = _answers(request) if request.GET.get("depuis") == FROM_QUESTIONNAIRE else None
    if answers is not None:
        initial = initial_from_answers(answers, fabrique)[0]
    if request.method != "POST":
        form = HolderProfileForm(instance=holder, initial=initial, fabrique=fabrique)
        return _render_profile(request, form, prefilled=answers is not None)
    form = HolderProfileForm(request.POST, instance=holder, fabrique=fabrique)
    if form.is_valid():
        data = form.cleaned_data
        try:
            status = None
            if form.qpv_inputs_changed():  # the BAN is asked outside the transaction that saves
                status = holder_space.holder_qpv_status_locate(
                    street_address=data["street_address"],
                    postcode=data["postcode"],
                    commune=data.get("commune"),
                    declared=form.declared_in_qpv(),
                    qpv=data.get("qpv"),
                )
            holder_space.holder_profile_update(holder=holder, values=form.profile_values(), qpv_status=status)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Votre profil est enregistré."))
            if status is not None and status.fallback == "unavailable":
                messages.warning(
                    request,
                    _(
                        "La vérification de votre adresse est momentanément indisponible : nous gardons votre "
                        "réponse et la vérifierons bientôt."
                    ),
                )
            elif status is not None and status.fallback == "not_found":
                messages.warning(
                    request,
                    _(
                        "Nous n'avons pas trouvé votre adresse dans la Base Adresse Nationale : nous gardons votre "
                        "réponse. Vérifiez le numéro et le nom de la voie."
                    ),
                )
            return redirect("journeys:my_journey")
    return _render_profile(request, form, prefilled=False)


def _render_profile(request: HttpRequest, form: HolderProfileForm, *, prefilled: bool) -> HttpResponse:
    holder: Holder = form.instance
    check = holder.address_check if holder.address_check_id else None
    return render(
        request,
        "journeys/holder/profile.html",
        {"form": form, "holder": holder, "check": check, "prefilled": prefilled},
    )


@never_cache
@holder_required
@require_http_methods(["GET", "POST"])
def project_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    holder = _holder(request)
    project = get_object_or_404(Project.objects.filter(holder=holder), pk=pk) if pk is not None else None
    answers = _answers(request) if project is None and request.GET.get("depuis") == FROM_QUESTIONNAIRE else None
    initial = initial_from_answers(answers, fabrique)[1] if answers is not None else None
    form = HolderProjectForm(request.POST or None, instance=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            if project is None:
                project_create(holder=holder, by=request.user, **values)
            else:
                holder_space.project_update(project=project, values=values)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Votre projet « %(title)s » est enregistré.") % {"title": values["title"]})
            return redirect("journeys:my_journey")
    return render(
        request,
        "journeys/holder/project_form.html",
        {"form": form, "project": project, "prefilled": answers is not None},
    )


@never_cache
@holder_required
@require_http_methods(["GET", "POST"])
def my_structures(request: HttpRequest) -> HttpResponse:
    holder = _holder(request)
    if request.method == "POST":
        form = LinkActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Cette action n'a pas pu être faite : rechargez la page et recommencez."))
            return redirect("journeys:my_structures")
        # Only a live link of the holder's own file: anything else is a 404.
        link = get_object_or_404(
            SupportLink.objects.live().filter(holder=holder).select_related("organisation", "holder"),
            pk=form.cleaned_data["link"],
        )
        action = form.cleaned_data["action"]
        name = link.organisation.name
        if action == LinkActionForm.END:
            holder_space.support_link_end(link=link)
            messages.success(request, _("%(structure)s ne vous suit plus.") % {"structure": name})
        else:
            shares = action == LinkActionForm.SHARE
            holder_space.support_link_consent_set(link=link, shares_file=shares)
            if shares:
                messages.success(request, _("Vous partagez désormais votre dossier avec %(s)s.") % {"s": name})
            else:
                messages.success(request, _("Vous ne partagez plus votre dossier avec %(s)s.") % {"s": name})
        return redirect("journeys:my_structures")
    links = (
        SupportLink.objects.live()
        .filter(holder=holder)
        .select_related("organisation", "referent")
        .order_by("organisation__name", "pk")
    )
    return render(
        request,
        "journeys/holder/my_structures.html",
        {
            "holder": holder,
            "links": links,
            "actions": {"SHARE": LinkActionForm.SHARE, "UNSHARE": LinkActionForm.UNSHARE, "END": LinkActionForm.END},
        },
    )


@never_cache
@holder_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything the file holds about me, as a JSON file to download (right of access)."""
    holder = _holder(request)
    data = holder_space.holder_data_export(holder)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"mes-donnees-fabrique-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class EraseConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_l("Je comprends que mon dossier sera effacé définitivement"),
        error_messages={"required": _l("Cochez la case pour confirmer l'effacement.")},
    )


@never_cache
@holder_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """Erase my file (right to erasure), after an explicit confirmation."""
    holder = _holder(request)
    form = EraseConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        holder_file_erase(holder, by=request.user)
        messages.success(request, _("Votre dossier a été effacé. Votre compte reste ouvert."))
        return redirect("home")
    return render(request, "journeys/holder/erase.html", {"holder": holder, "form": form})
